# nginx/: nginx configurations (production and demo), the demo and e2e tests.
