import HookbayJSON
import HookbayPluginKit
import Testing

@testable import Hookbay

@Suite struct CanonicalJSONTests {
    func canonical(_ text: String) throws -> String {
        String(decoding: CanonicalJSON.encode(try JSONParser.parse(Array(text.utf8))), as: UTF8.self)
    }

    @Test func sortsKeysAndDropsWhitespace() throws {
        #expect(try canonical(#"{ "b" : 1, "a" : { "d": [ 1, 2 ], "c": null } }"#) == #"{"a":{"c":null,"d":[1,2]},"b":1}"#)
    }

    @Test func escapesMinimally() throws {
        #expect(try canonical(#"["\u0041\/\"\\\n\u0001é"]"#) == "[\"A/\\\"\\\\\\n\\u0001é\"]")
    }

    @Test func keysSortByUTF8Bytes() throws {
        #expect(try canonical(#"{"é":1,"z":2,"A":3,"a":4}"#) == #"{"A":3,"a":4,"z":2,"é":1}"#)
    }

    @Test func keepsNumbersAsWritten() throws {
        #expect(try canonical("[1.50, -0, 1E+2]") == "[1.50,-0,1E+2]")
    }

    @Test func eventIDIgnoresKeyOrderAndSpacing() throws {
        let a = try JSONParser.parse(Array(#"{"content_id":"1","title":"T"}"#.utf8))
        let b = try JSONParser.parse(Array(#"{ "title" : "T",  "content_id" : "1" }"#.utf8))
        let idA = EventIdentity.eventID(platform: "netflix", eventType: .contentAdded, payload: a)
        #expect(idA == EventIdentity.eventID(platform: "netflix", eventType: .contentAdded, payload: b))
        #expect(idA.count == 64)
        #expect(idA != EventIdentity.eventID(platform: "netflix", eventType: .contentUpdated, payload: a))
        #expect(idA != EventIdentity.eventID(platform: "hulu", eventType: .contentAdded, payload: a))
    }
}

/// The adapter event's hand-written encoding is exactly its canonical JSON.
@Suite struct AdapterEventEncodingTests {
    @Test(arguments: [#"{"content_id":"1","title":"Quote \" back\\slash \n tab\t ctl\u0001 é 😀","n":[1,2.5e3,{"z":null,"a":true}]}"#, "{}"])
    func encodedIsCanonical(payloadText: String) throws {
        let payload = try JSONParser.parse(Array(payloadText.utf8))
        let event = AdapterEvent(
            platform: "p-1", eventType: "content_added", sourceEventType: "title.\"odd\"", eventID: "e\\1",
            receivedAt: 1_764_979_200_123, timestamp: "2025-12-06T00:00:00Z", payload: payload)
        let canonical = CanonicalJSON.encode(event.json)
        #expect(event.encoded() == canonical)
        #expect(event.encoded(payloadJSON: CanonicalJSON.encode(payload)) == canonical)
        #expect(try AdapterEvent(json: JSONParser.parse(canonical)) == event)
    }
}
