# fcgi/: the FastCGI responder mbk-fcgi (/api/settings/backup).
