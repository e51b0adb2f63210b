# cli/: the mbk command, for scripts and cron.
