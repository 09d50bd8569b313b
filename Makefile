# Thin aliases (spec §16); the npm scripts do the work.
.PHONY: dev-up dev-down test demo bench status

dev-up:
	bash scripts/run.sh deps && scripts/with-node npm run --silent build && scripts/with-node zenthos stack up

dev-down:
	scripts/with-node zenthos stack down

status:
	scripts/with-node zenthos stack status

test:
	npm test

demo:
	npm run demo

bench:
	npm run bench
