/// A plain-text table with a header row, columns padded to their widest cell.
public struct TextTable: Sendable {
    /// One column: its title and whether its cells are right-aligned (numbers).
    public struct Column: Sendable {
        public var title: String
        public var rightAligned: Bool

        public init(_ title: String, rightAligned: Bool = false) {
            self.title = title
            self.rightAligned = rightAligned
        }
    }

    public var columns: [Column]
    public var rows: [[String]] = []

    public init(_ columns: [Column]) {
        self.columns = columns
    }

    /// Adds a row; missing cells are blank, extra ones dropped.
    public mutating func append(_ cells: [String]) {
        var row = Array(cells.prefix(self.columns.count))
        while row.count < self.columns.count { row.append("") }
        self.rows.append(row)
    }

    /// The table, one line per row with a trailing newline; two spaces between columns and no
    /// trailing blanks.
    public func render() -> String {
        var widths = self.columns.map(\.title.count)
        for row in self.rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var output = ""
        for row in [self.columns.map(\.title)] + self.rows {
            var line = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += self.columns[index].rightAligned ? padding + cell : cell + padding
            }
            while line.hasSuffix(" ") { line.removeLast() }
            output += line + "\n"
        }
        return output
    }
}
