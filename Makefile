# The README's two commands. Everything else lives in deploy/local/.
.PHONY: run test

run:   ## set up, build and run the whole stack in the foreground (Ctrl-C stops it)
	deploy/local/run

test:  ## set up, build and run every test on a real local stack, then under ASan+UBSan
	deploy/local/test
