public import ArgumentParser
public import ZenithCore

/// `--policy reject|best_effort`: the server's own policy type, parsed from its raw value.
extension InfeasiblePolicy: ExpressibleByArgument {}
