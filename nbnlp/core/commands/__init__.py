"""The command-level functions (what `nbnlp COMMAND` and the magics call): init-config, evaluate,
debug-data, init-vectors, pretrain, package, info; the engine they use lives one level up."""
