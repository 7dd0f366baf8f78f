"""Exit codes every command shares.

0 success; 1 fatal error (model unavailable, output not writable, no usable seed, bad reference file); 2 usage
error (an option that cannot work); 3 dataset written but some seeds were rejected (each is listed with its
problem); 4 another run holds the output folder's lock."""
EXIT_OK, EXIT_FATAL, EXIT_USAGE, EXIT_PARTIAL, EXIT_BUSY = 0, 1, 2, 3, 4
