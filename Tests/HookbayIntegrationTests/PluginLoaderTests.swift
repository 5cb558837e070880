import Foundation
import HookbayJSON
import HookbayPluginKit
import HookbayTestSupport
import Testing

@testable import Hookbay

@Suite struct PluginLoaderTests {
    static func event(_ payload: JSONValue, type: String = "content_added") -> AdapterEvent {
        AdapterEvent(
            platform: "netflix", eventType: type, sourceEventType: type, eventID: String(repeating: "a", count: 64),
            receivedAt: 1_700_000_000_000, timestamp: "2025-12-06T00:00:00Z", payload: payload)
    }

    @Test func discoversTheReferencePlugins() throws {
        let catalog = PluginLoader.discover(directories: [TestPlugins.buildDirectory])
        #expect(Set(catalog.plugins.keys).isSuperset(of: ["netflix", "generic", "c-basic"]))
        let netflix = try catalog.plugin(named: "netflix")
        #expect(netflix.abiVersion == 1)
        #expect(netflix.version == "1.0.0")
        #expect(netflix.path.hasSuffix("libNetflixAdapter.so"))
    }

    @Test func netflixValidatesAndProcesses() throws {
        let adapter = try AdapterInstance(plugin: PluginLoader.load(path: TestPlugins.real("NetflixAdapter")), configuration: .object([:]))
        let payload: JSONValue = .object([
            "content_id": .string("81234"), "title": .string("Dark"), "content_type": .string("series"),
            "regions": .array([.string("US"), .string("DE")]), "metadata": .object(["rating": .string("TV-MA")]),
        ])
        try adapter.validate(Self.event(payload))
        #expect(
            try adapter.process(Self.event(payload)) == [
                ContentUpdate(
                    contentID: "81234", action: .upsert, title: "Dark", contentType: "series",
                    attributes: ["regions": .array([.string("US"), .string("DE")]), "metadata": .object(["rating": .string("TV-MA")])]
                )
            ])
        #expect(
            try adapter.process(Self.event(.object(["content_id": .string("81234")]), type: "content_removed"))
                == [ContentUpdate(contentID: "81234", action: .remove)])
    }

    @Test(arguments: [
        (JSONValue.object([:]), "payload.content_id must be a non-empty string"),
        (.object(["content_id": .string("")]), "payload.content_id must be a non-empty string"),
        (.object(["content_id": .number("5")]), "payload.content_id must be a non-empty string"),
        (.object(["content_id": .string("1"), "title": .number("5")]), "payload.title must be a string, not number"),
        (.object(["content_id": .string("1"), "content_type": .bool(true)]), "payload.content_type must be a string"),
        (.object(["content_id": .string("1"), "regions": .string("US")]), "payload.regions must be an array of strings"),
        (.object(["content_id": .string("1"), "regions": .array([.number("1")])]), "payload.regions[0] must be a string"),
        (.object(["content_id": .string("1"), "metadata": .array([])]), "payload.metadata must be an object"),
    ])
    func netflixRefuses(payload: JSONValue, message: String) throws {
        let adapter = try AdapterInstance(plugin: PluginLoader.load(path: TestPlugins.real("NetflixAdapter")), configuration: .object([:]))
        #expect { try adapter.validate(Self.event(payload)) } throws: { error in
            guard case .invalid(let text)? = error as? AdapterError else { return false }
            return text.hasPrefix(message)
        }
    }

    @Test func genericDefaultsToTheSeedFields() throws {
        let adapter = try AdapterInstance(plugin: PluginLoader.load(path: TestPlugins.real("GenericAdapter")), configuration: .object([:]))
        let payload: JSONValue = .object(["content_id": .number("42"), "title": .string("T"), "other": .null])
        #expect(try adapter.process(Self.event(payload)) == [ContentUpdate(contentID: "42", action: .upsert, title: "T")])
        #expect(throws: AdapterError.invalid("payload.content_id (the content id) is required")) {
            try adapter.validate(Self.event(.object(["title": .string("T")])))
        }
    }

    @Test func genericIsConfiguredByYAML() throws {
        let config: JSONValue = .object([
            "content_id": .string("item.id"), "title": .string("item.name"),
            "attributes": .array([.string("item.genres"), .string("missing.path")]),
        ])
        let adapter = try AdapterInstance(plugin: PluginLoader.load(path: TestPlugins.real("GenericAdapter")), configuration: config)
        let payload: JSONValue = .object([
            "item": .object([
                "id": .string("x9"), "name": .string("Show"), "genres": .array([.string("drama")]),
            ])
        ])
        #expect(
            try adapter.process(Self.event(payload, type: "content_updated")) == [
                ContentUpdate(
                    contentID: "x9", action: .upsert, title: "Show", attributes: ["item.genres": .array([.string("drama")])]
                )
            ])
        #expect(throws: AdapterError.invalid("payload.item.name must be a string, not number")) {
            try adapter.validate(Self.event(.object(["item": .object(["id": .string("1"), "name": .number("3")])])))
        }
        #expect {
            try AdapterInstance(
                plugin: PluginLoader.load(path: TestPlugins.real("GenericAdapter")), configuration: .object(["colour": .string("red")]))
        } throws: { "\($0)".contains("adapter_config.colour: unknown key") }
    }

    @Test func cAdapterThroughTheSameABI() throws {
        let plugin = try PluginLoader.load(path: TestPlugins.real("CBasicAdapter"))
        #expect(plugin.name == "c-basic")
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object(["content_type": .string("movie")]))
        let payload: JSONValue = .object(["content_id": .string("c-7"), "title": .string("Quote \"me\"")])
        try adapter.validate(Self.event(payload))
        #expect(
            try adapter.process(Self.event(payload)) == [
                ContentUpdate(contentID: "c-7", action: .upsert, title: "Quote \"me\"", contentType: "movie")
            ])
        #expect(try adapter.process(Self.event(payload, type: "content_removed")).first?.action == .remove)
        #expect(throws: AdapterError.invalid("payload.content_id must be a non-empty string")) {
            try adapter.validate(Self.event(.object(["title": .string("x")])))
        }
        #expect { try AdapterInstance(plugin: plugin, configuration: .object(["content_type": .number("5")])) } throws: {
            "\($0)".contains("adapter_config.content_type must be a string")
        }
    }

    @Test func refusesAMissingFile() {
        #expect(throws: PluginLoadError(path: "/nonexistent/libx.so", reason: .missingFile)) { try PluginLoader.load(path: "/nonexistent/libx.so") }
    }

    @Test func refusesANonELFFile() throws {
        let dir = try Fixtures.configDirectory(["libfake.so": "#!/bin/sh\necho not a library\n"])
        #expect { try PluginLoader.load(path: "\(dir)/libfake.so") } throws: { "\($0)".contains("not a shared library (no ELF header)") }
    }

    @Test(arguments: [
        ("NO_ENTRY", "does not export hookbay_adapter_entry"),
        ("WRONG_ABI", "plugin ABI version 99, this Hookbay speaks version 1"),
        ("SMALL_STRUCT", "descriptor struct_size 16 is smaller than"),
        ("NULL_PROCESS", "descriptor function 'process' is NULL"),
        ("BAD_SCHEMA", "its receive_schema is not valid: receive schema field 0 needs one non-empty \"name\" or \"path\" and a \"kind\""),
    ])
    func refusesBrokenPlugins(variant: String, message: String) async throws {
        let path = try await TestPlugins.build(variant: variant)
        #expect { try PluginLoader.load(path: path) } throws: { error in
            let text = "\(error)"
            return text.contains(message) && text.contains(path)
        }
    }

    @Test func aVersion1DescriptorLoadsAndNothingPastItsSizeIsRead() async throws {
        // Its receive_schema slot holds the address 1: reading it would crash.
        let plugin = try await PluginLoader.load(path: TestPlugins.build(variant: "V1_STRUCT", name: "old-plugin"))
        #expect(plugin.receiveSchema == nil)
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object([:]))
        try adapter.validate(Self.event(.object([:])))
    }

    @Test func aContextsSchemaReplacesThePluginsAndNothingPastTheSizeIsRead() async throws {
        let plugin = try await PluginLoader.load(path: TestPlugins.build(variant: "CONTEXT_SCHEMA", name: "context-schema"))
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object([:]))
        #expect(adapter.receiveSchema == PayloadSchema([.init("item.id", .id, required: true, dotted: true, label: "the item")]))
        try adapter.validate(Self.event(.object(["item": .object(["id": .number("7")])])))
        #expect(throws: AdapterError.invalid("payload.item.id (the item) is required")) {
            try adapter.validate(Self.event(.object(["content_id": .string("1")])))
        }
        #expect(throws: AdapterError.invalid("payload.item.id (the item) must be a non-empty string or an integer, not number")) {
            try adapter.validate(Self.event(.object(["item": .object(["id": .number("7.5")])])))
        }
        // A context that declares rules that are not valid: the platform does not load, and says why.
        let bad = try await PluginLoader.load(path: TestPlugins.build(variant: "BAD_CONTEXT_SCHEMA", name: "bad-context-schema"))
        #expect { try AdapterInstance(plugin: bad, configuration: .object([:])) } throws: { error in
            "\(error)".contains("declared an invalid receive schema for this configuration")
        }
        // Its context_receive_schema slot holds the address 1: calling it would crash.
        let older = try await PluginLoader.load(path: TestPlugins.build(variant: "RECEIVE_ONLY_STRUCT", name: "receive-only"))
        #expect(try AdapterInstance(plugin: older, configuration: .object([:])).receiveSchema == nil)
    }

    /// The generic adapter declares its configured rules: the gateway's check of them at receive and the plugin's own
    /// `validate` (through the ABI) must judge every payload alike, message for message.
    @Test func genericSchemaAndValidateAgree() throws {
        let config: JSONValue = .object(["content_id": .string("item.id"), "title": .string("item.name"), "content_type": .string("kind")])
        let adapter = try AdapterInstance(plugin: PluginLoader.load(path: TestPlugins.real("GenericAdapter")), configuration: config)
        #expect(adapter.receiveSchema?.fields.map(\.name) == ["item.id", "item.name", "kind"])
        let values: [JSONValue?] = [
            nil, .null, .string(""), .string("x"), .number("1"), .number("-3"), .number("1.5"), .number("2e3"), .bool(false), .array([]),
            .object([:]),
        ]
        var payloads: [JSONValue] = [.object([:]), .object(["item": .string("flat")])]
        for (field, inItem) in [("id", true), ("name", true), ("kind", false)] {
            for value in values {
                var item: [String: JSONValue] = ["id": .string("1"), "name": .string("n")]
                var top: [String: JSONValue] = ["kind": .string("movie")]
                if inItem { item[field] = value } else { top[field] = value }
                top["item"] = .object(item)
                payloads.append(.object(top))
            }
        }
        // At receive, a platform with a delivery id builds only what the envelope and the schema read of the body.
        let platform = try PlatformFileParser(environment: ["AGREE_SECRET": "agree-secret-0123456789"]).parse(
            yaml: """
                platform: agree
                secret_env: AGREE_SECRET
                envelope: { event_type: { header: X-Event }, event_id: { header: X-Id }, payload: { json: "" } }
                event_types: { push: content_updated }
                """, file: "agree.yaml")
        let selection = WebhookEnvelope.selection(for: platform, schema: adapter.receiveSchema)
        let header = { (name: String) in ["X-Event": "push", "X-Id": "d-1"][name] }
        for payload in payloads {
            func verdict(_ check: () throws(AdapterError) -> Void) -> String? {
                do throws(AdapterError) {
                    try check()
                    return nil
                } catch {
                    return error.message
                }
            }
            let viaSchema = verdict { () throws(AdapterError) in try adapter.validate(Self.event(payload)) }
            #expect(viaSchema == verdict { () throws(AdapterError) in try adapter.validateInPlugin(Self.event(payload)) }, "\(payload)")
            var sent = try #require(payload.objectValue)
            sent["extra"] = .object(["deep": .array([.string("x")])])
            let part = try WebhookEnvelope(body: CanonicalJSON.encode(.object(sent)), header: header, platform: platform, keeping: selection).payload
            #expect(part["extra"] == nil, "what nothing reads is not built")
            #expect(viaSchema == verdict { () throws(AdapterError) in try adapter.validate(Self.event(part)) }, "\(payload)")
        }
    }

    @Test func aDeclaredReceiveSchemaIsCheckedInsteadOfValidate() async throws {
        // This plugin's validate accepts everything; its schema does not.
        let plugin = try await PluginLoader.load(path: TestPlugins.build(variant: "SCHEMA", name: "schema-plugin"))
        #expect(plugin.receiveSchema == PayloadSchema([.init("content_id", .nonEmptyString, required: true), .init("tags", .stringArray)]))
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object([:]))
        try adapter.validate(Self.event(.object(["content_id": .string("1"), "tags": .array([.string("a")])])))
        try adapter.validateInPlugin(Self.event(.object([:])))
        #expect(throws: AdapterError.invalid("payload.content_id must be a non-empty string")) {
            try adapter.validate(Self.event(.object(["tags": .array([])])))
        }
        #expect(throws: AdapterError.invalid("payload.tags[1] must be a string, not null")) {
            try adapter.validate(Self.event(.object(["content_id": .string("1"), "tags": .array([.string("a"), .null])])))
        }
    }

    /// The Netflix plugin declares its rules: the gateway's check of them at receive and the plugin's `process`
    /// must judge every payload alike, message for message.
    @Test func netflixSchemaAndProcessAgree() throws {
        let plugin = try PluginLoader.load(path: TestPlugins.real("NetflixAdapter"))
        #expect(plugin.receiveSchema != nil)
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object([:]))
        let values: [JSONValue?] = [
            nil, .null, .string(""), .string("x"), .number("1"), .bool(false), .array([]),
            .array([.string("US")]), .array([.string("US"), .number("2")]), .object([:]),
        ]
        var payloads: [JSONValue] = []
        for field in ["content_id", "title", "content_type", "regions", "metadata"] {
            for value in values {
                var members: [String: JSONValue] = ["content_id": .string("81234")]
                members[field] = value
                payloads.append(.object(members))
            }
        }
        // Several faults at once: which one is reported must agree too.
        payloads.append(.object(["content_id": .number("1"), "title": .number("2"), "regions": .string("x")]))
        payloads.append(.object(["content_id": .string("1"), "title": .number("2"), "metadata": .string("x"), "regions": .bool(true)]))
        payloads.append(.object(["content_id": .string("1"), "content_type": .number("2"), "title": .array([])]))
        for payload in payloads {
            func outcome(_ check: () throws(AdapterError) -> Void) -> String {
                do {
                    try check()
                    return "ok"
                } catch { return error.message }
            }
            let event = Self.event(payload)
            let atReceive = outcome { () throws(AdapterError) in try adapter.validate(event) }
            #expect(atReceive == outcome { () throws(AdapterError) in _ = try adapter.process(event) }, "\(payload)")
            #expect(atReceive == outcome { () throws(AdapterError) in try adapter.validateInPlugin(event) }, "\(payload)")
        }
    }

    @Test func refusesAFailingCreate() async throws {
        let plugin = try await PluginLoader.load(path: TestPlugins.build(variant: "CREATE_FAILS", name: "refuser"))
        #expect { try AdapterInstance(plugin: plugin, configuration: .object([:])) } throws: {
            "\($0)".contains("adapter 'refuser' refused its configuration: this plugin refuses every configuration")
        }
    }

    @Test func reportsNameClashesAndBrokenFilesButKeepsTheRest() async throws {
        let dir = try Fixtures.configDirectory([:])
        _ = try await TestPlugins.build(variant: nil, name: "c-basic", in: dir)
        _ = try await TestPlugins.build(variant: "WRONG_ABI", name: "old", in: dir)
        let catalog = PluginLoader.discover(directories: [dir, TestPlugins.buildDirectory])
        // The first directory wins the name; the later one is reported.
        #expect(try catalog.plugin(named: "c-basic").path.hasPrefix(dir))
        #expect(catalog.problems.contains { "\($0)".contains("adapter name 'c-basic' is already provided by \(dir)") })
        #expect(catalog.problems.contains { "\($0)".contains("plugin ABI version 99") })
        #expect(try catalog.plugin(named: "netflix").name == "netflix")
        #expect { try catalog.plugin(named: "nope") } throws: { "\($0)".contains("no adapter plugin named 'nope'") }
    }

    @Test func malformedOutputIsAnInvalidResult() async throws {
        let plugin = try await PluginLoader.load(path: TestPlugins.build(variant: "BAD_OUTPUT", name: "bad-output"))
        let adapter = try AdapterInstance(plugin: plugin, configuration: .object([:]))
        #expect { try adapter.process(Self.event(.object(["content_id": .string("1")]))) } throws: {
            "\($0)".contains("content update #0: content update field 'content_id' must be a non-empty string")
        }
    }

    @Test func platformWithMissingOrBrokenAdapterDoesNotLoad() async throws {
        let broken = try await TestPlugins.build(variant: "WRONG_ABI", name: "broken")
        let dir = try Fixtures.configDirectory([
            "a.yaml": Fixtures.platformYAML(id: "alpha", extra: "adapter: no-such-adapter"),
            "b.yaml": Fixtures.platformYAML(id: "beta", extra: "adapter: broken\nplugin_path: \(broken)"),
            "c.yaml": Fixtures.platformYAML(id: "gamma", extra: "adapter: generic\nadapter_config: { content_id: 5 }"),
            "d.yaml": Fixtures.platformYAML(id: "delta", extra: "adapter: netflix"),
            "e.yaml": Fixtures.platformYAML(id: "epsilon", extra: "adapter: netflix\nplugin_path: \(TestPlugins.real("GenericAdapter"))"),
        ])
        let result = try PlatformLoader(environment: Fixtures.environment, pluginDirectories: [TestPlugins.buildDirectory]).load(directory: dir)
        #expect(Set(result.platforms.keys) == ["delta"])
        let messages = result.problems.map(\.description)
        #expect(messages.contains { $0.hasPrefix("a.yaml: adapter: no adapter plugin named 'no-such-adapter'") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("b.yaml: plugin_path: \(broken): plugin ABI version 99") }, "\(messages)")
        #expect(
            messages.contains { $0.hasPrefix("c.yaml: adapter_config: ") && $0.contains("adapter_config.content_id must be a dotted path") },
            "\(messages)")
        #expect(messages.contains { $0.contains("provides adapter 'generic', but the platform asks for 'netflix'") }, "\(messages)")
    }
}

@Suite struct DocumentedExampleTests {
    @Test func theDocumentedCAdapterBuildsLoadsAndRuns() async throws {
        let dir = try Fixtures.configDirectory([:])
        let output = "\(dir)/libminimal.so"
        let gcc = try ChildProcess.spawn(
            "/usr/bin/env",
            [
                "gcc", "-shared", "-fPIC", "-Wall", "-Werror",
                "-I", TestPlugins.packageRoot.appendingPathComponent("Sources/HookbayPluginABI/include").path,
                "-o", output, TestPlugins.packageRoot.appendingPathComponent("Plugins/Examples/minimal_adapter.c").path,
            ])
        let status = try await gcc.waitForExit()
        #expect(status == 0)
        let adapter = try AdapterInstance(plugin: PluginLoader.load(path: output), configuration: .object([:]))
        #expect(adapter.plugin.name == "minimal")
        #expect(try adapter.process(PluginExercise.sampleEvent) == [ContentUpdate(contentID: "minimal", action: .upsert, title: "seen")])
    }
}
