import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /console`: the ops console, one page whose HTML, CSS and JavaScript are compiled into the binary.
///
/// The page holds no secret and no data: it signs in with the admin token (kept in the tab's `sessionStorage`) and
/// reads the documented JSON endpoints. Every file is served under a policy that lets it load only itself and talk
/// only to this origin: no inline script or style, no other site, no framing.
public struct ConsoleRoutes: Sendable {
    /// The `Content-Security-Policy` of the console's files.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

    public init() {}

    public func register<Context: RequestContext>(on router: Router<Context>) {
        let html = Self.asset(PackageResources.console_html, type: "text/html; charset=utf-8")
        let css = Self.asset(PackageResources.console_css, type: "text/css; charset=utf-8")
        let script = Self.asset(PackageResources.console_js, type: "text/javascript; charset=utf-8")
        router.get("/console") { _, _ in html() }
        router.get("/console/console.css") { _, _ in css() }
        router.get("/console/console.js") { _, _ in script() }
    }

    /// A response maker for one embedded file: its bytes copied into a buffer once.
    private static func asset(_ bytes: [UInt8], type: String) -> @Sendable () -> Response {
        let buffer = ByteBuffer(bytes: bytes)
        let headers: HTTPFields = [
            .contentType: type,
            .contentSecurityPolicy: Self.contentSecurityPolicy,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            .cacheControl: "no-store",
        ]
        return { Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer)) }
    }
}
