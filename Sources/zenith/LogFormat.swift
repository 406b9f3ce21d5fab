import ArgumentParser

/// `zenith serve --log-format`: how each log record is written to standard error.
enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    /// swift-log's `StreamLogHandler`: `timestamp level label: key=value ... message`.
    case text
    /// `JSONLogHandler`: one JSON object per line, the metadata as fields.
    case json
}
