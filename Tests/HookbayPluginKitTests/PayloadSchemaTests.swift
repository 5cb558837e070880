import HookbayJSON
import HookbayPluginKit
import Testing

@Suite struct PayloadSchemaTests {
    let schema = PayloadSchema([
        .init("id", .nonEmptyString, required: true),
        .init("name", .string, required: true),
        .init("tags", .stringArray),
        .init("extra", .object),
        .init("note", .nonEmptyString),
    ])

    func refusal(_ payload: JSONValue, by schema: PayloadSchema? = nil) -> String? {
        do {
            try (schema ?? self.schema).check(payload)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func acceptsWhatItDescribes() {
        #expect(refusal(.object(["id": .string("1"), "name": .string("")])) == nil)
        #expect(refusal(.object(["id": .string("1"), "name": .string("n"), "tags": .null, "extra": .null, "note": .null])) == nil)
        #expect(
            refusal(
                .object([
                    "id": .string("1"), "name": .string("n"), "tags": .array([]), "extra": .object([:]),
                    "note": .string("x"), "unknown": .number("1"),
                ])) == nil)
    }

    @Test(arguments: [
        (JSONValue.object([:]), "payload.id must be a non-empty string"),
        (.object(["id": .string("")]), "payload.id must be a non-empty string"),
        (.object(["id": .null]), "payload.id must be a non-empty string"),
        (.object(["id": .string("1")]), "payload.name is required"),
        (.object(["id": .string("1"), "name": .null]), "payload.name is required"),
        (.object(["id": .string("1"), "name": .number("1")]), "payload.name must be a string, not number"),
        (.object(["id": .string("1"), "name": .string("n"), "tags": .object([:])]), "payload.tags must be an array of strings, not object"),
        (
            .object(["id": .string("1"), "name": .string("n"), "tags": .array([.string("a"), .bool(true)])]),
            "payload.tags[1] must be a string, not boolean"
        ),
        (.object(["id": .string("1"), "name": .string("n"), "extra": .array([])]), "payload.extra must be an object, not array"),
        (.object(["id": .string("1"), "name": .string("n"), "note": .string("")]), "payload.note must be a non-empty string"),
        (.array([]), "payload.id must be a non-empty string"),
    ])
    func refuses(payload: JSONValue, message: String) {
        #expect(refusal(payload) == message)
    }

    @Test func travelsAsJSON() throws {
        #expect(try PayloadSchema(json: schema.json) == schema)
        let text = String(decoding: CanonicalJSON.encode(schema.json), as: UTF8.self)
        #expect(text.hasPrefix(#"[{"kind":"non_empty_string","name":"id","required":true},"#))
    }

    @Test(arguments: [
        (#"{}"#, "the receive schema must be an array of fields"),
        (
            #"[{"kind":"string"}]"#,
            #"receive schema field 0 needs one non-empty "name" or "path" and a "kind" among string, non_empty_string, string_array, object, id"#
        ),
        (#"[{"name":"a","kind":"string"},{"name":"b","kind":"integer"}]"#, #"receive schema field 1 needs one non-empty "name""#),
        (#"[{"name":"a","path":"a.b","kind":"string"}]"#, #"receive schema field 0 needs one non-empty "name" or "path""#),
        (#"[{"path":"a.b","kind":"id","label":""}]"#, #"receive schema field 0: "label" must be a string of 1 to 64 bytes"#),
        (#"[{"name":"a","kind":"string","required":"yes"}]"#, #"receive schema field 0: "required" must be true or false"#),
    ])
    func refusesMalformedSchemas(text: String, message: String) throws {
        let json = try JSONParser.parse(Array(text.utf8))
        #expect { try PayloadSchema(json: json) } throws: { error in
            guard let error = error as? AdapterError else { return false }
            return error.message.hasPrefix(message)
        }
    }

    @Test func pathsIdsAndLabels() throws {
        let schema = PayloadSchema([
            .init("repository.full_name", .id, required: true, dotted: true, label: "the content id"),
            .init("a.b", .string),
        ])
        #expect(try PayloadSchema(json: schema.json) == schema)
        func refusal(_ payload: JSONValue) -> String? { self.refusal(payload, by: schema) }
        let repository = { (value: JSONValue) in JSONValue.object(["repository": .object(["full_name": value])]) }
        #expect(refusal(repository(.string("o/r"))) == nil)
        #expect(refusal(repository(.number("-12"))) == nil)
        #expect(
            refusal(repository(.number("1.0")))
                == "payload.repository.full_name (the content id) must be a non-empty string or an integer, not number")
        #expect(
            refusal(repository(.number("1E3")))
                == "payload.repository.full_name (the content id) must be a non-empty string or an integer, not number")
        #expect(
            refusal(repository(.string(""))) == "payload.repository.full_name (the content id) must be a non-empty string or an integer, not string")
        #expect(refusal(repository(.null)) == "payload.repository.full_name (the content id) is required")
        #expect(refusal(.object(["repository": .string("flat")])) == "payload.repository.full_name (the content id) is required")
        // A name is one member, dots and all (a path walks).
        #expect(
            refusal(.object(["repository": .object(["full_name": .string("o/r")]), "a.b": .number("1")]))
                == "payload.a.b must be a string, not number")
        #expect(refusal(.object(["repository": .object(["full_name": .string("o/r")]), "a": .object(["b": .number("1")])])) == nil)
    }
}
