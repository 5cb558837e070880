import ArgumentParser

/// `hookbay`: argument parsing and wiring only; every setting lives in `GatewaySettings`, every part in the library.
@main
struct HookbayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookbay",
        abstract: "Webhook ingestion gateway: verify, rate-limit, de-duplicate and durably queue signed webhooks.",
        subcommands: [Serve.self, Worker.self, DLQ.self, Check.self, Plugins.self, Sign.self],
        defaultSubcommand: Serve.self
    )
}
