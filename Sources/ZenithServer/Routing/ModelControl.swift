/// Who may load and unload models through the data port's repository API (REST and gRPC). As
/// Triton's `--model-control-mode`: off unless the operator asks for it, since whoever reaches
/// the data port could otherwise take models away from everyone; and when on, behind the
/// operator API's bearer token if there is one.
public enum ModelControl: Sendable, Equatable {
    /// Load and unload are refused (403): the repository serves what it loaded at start-up.
    case none
    /// Anyone who reaches the data port may load and unload.
    case explicit
    /// Only requests carrying this bearer token may.
    case token(String)

    /// Why a load or unload with this `Authorization` header is refused, or `nil` if it may go on.
    func refusal(authorization: String?) -> RequestError? {
        switch self {
        case .none:
            return RequestError(
                status: 403, message: "loading and unloading models is off: start zenith serve with --model-control explicit",
                reason: "model_control_off")
        case .explicit:
            return nil
        case .token(let token):
            guard let expected = BearerToken(token), !expected.authorizes(authorization) else { return nil }
            return RequestError(
                status: 401, message: "loading and unloading models needs the operator token (Authorization: Bearer ...)",
                reason: "unauthorized")
        }
    }
}
