import Hummingbird
import Synchronization

// Reads the whole body (up to 1 MiB, as Hookbay does) and answers 202 with a small JSON body. `GET /count` answers how
// many it has answered, for scripts/bench to sample the rate of a timed run itself.
let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 8090
let answered = Atomic<Int>(0)
let router = Router()
router.post("/api/v1/webhooks/{platform}") { request, _ -> Response in
    var request = request
    _ = try await request.collectBody(upTo: 1 << 20)
    answered.add(1, ordering: .relaxed)
    return Response(status: .accepted, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"status":"accepted"}"#)))
}
router.get("/count") { _, _ in "\(answered.load(ordering: .relaxed))" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
