import Foundation

/// `value` with `decimals` digits after the point, `–` for non-finite values.
func formatNumber(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "–" }
    return String(format: "%.\(decimals)f", value)
}

/// A share as a percentage with one decimal.
func formatPercent(_ share: Double?) -> String {
    guard let share, share.isFinite else { return "–" }
    return String(format: "%.1f%%", share * 100)
}
