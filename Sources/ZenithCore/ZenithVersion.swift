/// The version every Zenith executable reports (`zenith --version`, `sloctl --version`).
///
/// Semantic versioning, bumped by hand in the commit that changes what a user relies on: the
/// minor version for a new command, flag, endpoint or model-format field, the major version for
/// one removed or changed incompatibly (the KServe v2 protocol itself is versioned by KServe),
/// the patch version for fixes only. The git commit is not included: SwiftPM offers no way to
/// learn it at build time without a build plugin, and one read at run time would describe the
/// checkout, not necessarily the binary.
public enum ZenithVersion {
    /// `MAJOR.MINOR.PATCH`.
    public static let string = "0.1.0"
}
