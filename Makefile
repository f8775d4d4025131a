# The README's two commands (and the fuzzers). Everything else lives in deploy/local/.
.PHONY: run test fuzz

run:   ## set up, build and run the whole stack in the foreground (Ctrl-C stops it)
	deploy/local/run

test:  ## set up, build and run every test on a real local stack, then under ASan+UBSan
	deploy/local/test

fuzz:  ## fuzz every parser of untrusted input for FUZZ_SECONDS each (default 60) under ASan+UBSan
	fuzz/run
