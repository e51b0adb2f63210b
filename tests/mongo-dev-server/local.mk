# tests/mongo-dev-server/local.mk: the development MongoDB server, the integration harness and their tests.
