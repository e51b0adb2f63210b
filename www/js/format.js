// format.js: numbers, sizes, dates and durations for people.

const nf = new Intl.NumberFormat();

export function num(n) {
    return n === null || n === undefined || Number.isNaN(n) ? '—' : nf.format(n);
}

export function bytes(n) {
    if (n === null || n === undefined || Number.isNaN(n)) {
        return '—';
    }
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = Number(n);
    while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
    }
    return (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + '\u00a0' + units[i];
}

export function date(iso) {
    if (!iso) {
        return '—';
    }
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) {
        return String(iso);
    }
    return d.toLocaleString(undefined, {dateStyle: 'medium',
                                        timeStyle: 'medium'});
}

export function duration(s) {
    if (s === null || s === undefined || Number.isNaN(s)) {
        return '—';
    }
    if (s < 1) {
        return (s * 1000).toFixed(0) + ' ms';
    }
    if (s < 60) {
        return s.toFixed(1) + ' s';
    }
    const m = Math.floor(s / 60);
    if (m < 60) {
        return m + ' min ' + Math.round(s % 60) + ' s';
    }
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

export function rate(perSecond, unit) {
    if (!perSecond) {
        return '—';
    }
    return unit === 'bytes' ? bytes(perSecond) + '/s'
                            : num(Math.round(perSecond)) + ' docs/s';
}

// "1 document", "613 documents".
export function count(n, one, many) {
    return `${num(n)}\u00a0${n === 1 ? one : (many || one + 's')}`;
}
