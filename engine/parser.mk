# engine/parser.mk: the streaming backup-file parser (Extended JSON to BSON), its tests and benchmark.
