# engine/encoder.mk: the streaming Extended JSON encoder, its tests and benchmark.
