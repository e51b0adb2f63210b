// phases.js: what a job is doing now, in a sentence a DBA reads at a
// glance, from its status (GET ?job=ID: phase, collection, counts).  The
// phases are the engine's: backup listing, reading, publishing; restore
// validating, checking (dry run), restoring, building indexes, swapping.

import * as fmt from './format.js';

// True when the job is in its index-building phase.
export function indexing(s) {
    return s.state === 'running' && /index/i.test(s.phase || '');
}

export function phaseWords(s) {
    const of = s.collection ? ` of ${s.collection}` : '';
    const into = s.targetDatabase || s.database || 'the target database';
    switch (s.state === 'failed' || s.state === 'canceled' ? s.state
                                                           : s.phase) {
    case 'queued':
        return 'Waiting for a free worker: nothing has started yet.';
    case 'listing':
        return 'Listing the collections, their options and indexes.';
    case 'reading':
        return `Reading the documents${of} from MongoDB into the backup.`;
    case 'publishing':
        return 'Storing the backup file: it is listed once it is complete.';
    case 'validating':
        return 'Reading the whole backup file to check it: nothing is ' +
               'written to MongoDB yet.';
    case 'checking':
        return `Dry run: comparing the documents${of} with ${into}; ` +
               'nothing is written.';
    case 'restoring':
        return `Inserting the documents${of} into ${into}.`;
    case 'building indexes':
        return 'The documents are done. ' +
               `MongoDB is building the indexes${of} (createIndexes): ` +
               (s.indexesTotal > 0 ? `${fmt.num(s.indexesDone)} of ` +
                `${fmt.count(s.indexesTotal, 'index', 'indexes')} built ` +
                'so far. ' : '') +
               'MongoDB reports no progress within one build, so the time ' +
               'left is not known.';
    case 'swapping':
        return 'Putting the restored collections in place.';
    case 'done':
        return 'Finished.';
    case 'failed':
        return 'Stopped by an error.';
    case 'canceled':
        return 'Canceled: a restore is rolled back.';
    default:
        return s.phase || s.state || '';
    }
}
