"""The harness: oracles, the search loop, the experiment runner and the results store."""
