//! `http/protobuf`: an `ExportTraceServiceRequest` in the protobuf wire format, written by
//! hand for the few messages and fields the host fills (field numbers from
//! `opentelemetry/proto/{collector/trace,trace,common,resource}/v1/*.proto`).

use crate::observability::trace::{SpanData, Value};

/// Wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

/// A protobuf message being written.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.0.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    fn tag(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field << 3 | u32::from(wire_type)));
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        self.tag(field, LEN);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn string(&mut self, field: u32, text: &str) {
        self.bytes(field, text.as_bytes());
    }

    fn uint(&mut self, field: u32, value: u64) {
        self.tag(field, VARINT);
        self.varint(value);
    }

    fn fixed64(&mut self, field: u32, value: u64) {
        self.tag(field, FIXED64);
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    /// An embedded message: `write` fills it, then its length is put in front.
    fn message(&mut self, field: u32, write: impl FnOnce(&mut Self)) {
        self.tag(field, LEN);
        let start = self.0.len();
        write(self);
        let mut length = Writer::default();
        length.varint((self.0.len() - start) as u64);
        self.0.splice(start..start, length.0);
    }

    /// `common.v1.KeyValue`.
    fn key_value(&mut self, field: u32, key: &str, value: &Value) {
        self.message(field, |kv| {
            kv.string(1, key);
            kv.message(2, |any| match value {
                Value::Str(text) => any.string(1, text),
                Value::Int(number) => any.uint(3, *number as u64),
            });
        });
    }
}

/// `spans` under `resource`, as the body of an OTLP/HTTP protobuf export request.
pub fn encode(resource: &[(String, String)], spans: &[SpanData]) -> Vec<u8> {
    let mut request = Writer::default();
    // ExportTraceServiceRequest.resource_spans
    request.message(1, |resource_spans| {
        // ResourceSpans.resource
        resource_spans.message(1, |r| {
            for (key, value) in resource {
                r.message(1, |kv| {
                    kv.string(1, key);
                    kv.message(2, |any| any.string(1, value));
                });
            }
        });
        // ResourceSpans.scope_spans
        resource_spans.message(2, |scope_spans| {
            scope_spans.message(1, |scope| {
                scope.string(1, super::SCOPE_NAME);
                scope.string(2, env!("CARGO_PKG_VERSION"));
            });
            for data in spans {
                scope_spans.message(2, |span| write_span(span, data));
            }
        });
    });
    request.0
}

/// `trace.v1.Span`.
fn write_span(span: &mut Writer, data: &SpanData) {
    span.bytes(1, &data.context.trace_id);
    span.bytes(2, &data.context.span_id);
    if let Some(parent) = &data.parent_span_id {
        span.bytes(4, parent);
    }
    span.string(5, &data.name);
    span.uint(6, data.kind as u64);
    span.fixed64(7, data.start_unix_nanos);
    span.fixed64(8, data.end_unix_nanos);
    for (key, value) in &data.attributes {
        span.key_value(9, key, value);
    }
    for link in &data.links {
        span.message(13, |l| {
            l.bytes(1, &link.trace_id);
            l.bytes(2, &link.span_id);
        });
    }
    if let Some(message) = &data.error {
        span.message(15, |status| {
            status.string(2, message);
            status.uint(3, u64::from(super::STATUS_ERROR));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observability::otlp::tests::sample_span;
    use crate::observability::trace::{SpanContext, SpanKind};

    /// One decoded field: varints and fixed64s as numbers, length-delimited as bytes.
    #[derive(Debug, Clone, PartialEq)]
    enum Field {
        Number(u64),
        Bytes(Vec<u8>),
    }

    /// Decodes one message's fields, in order (an independent reading of the wire format).
    fn decode(mut bytes: &[u8]) -> Vec<(u32, Field)> {
        fn varint(bytes: &mut &[u8]) -> u64 {
            let mut value = 0;
            for shift in (0..64).step_by(7) {
                let byte = bytes[0];
                *bytes = &bytes[1..];
                value |= u64::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    break;
                }
            }
            value
        }
        let mut fields = Vec::new();
        while !bytes.is_empty() {
            let key = varint(&mut bytes);
            let field = (key >> 3) as u32;
            let value = match (key & 7) as u8 {
                VARINT => Field::Number(varint(&mut bytes)),
                FIXED64 => {
                    let (number, rest) = bytes.split_at(8);
                    bytes = rest;
                    Field::Number(u64::from_le_bytes(number.try_into().unwrap()))
                }
                LEN => {
                    let length = varint(&mut bytes) as usize;
                    let (content, rest) = bytes.split_at(length);
                    bytes = rest;
                    Field::Bytes(content.to_vec())
                }
                other => panic!("unexpected wire type {other}"),
            };
            fields.push((field, value));
        }
        fields
    }

    /// The embedded messages or strings of field `number`.
    fn all(fields: &[(u32, Field)], number: u32) -> Vec<Vec<u8>> {
        fields
            .iter()
            .filter(|(n, _)| *n == number)
            .map(|(_, value)| match value {
                Field::Bytes(bytes) => bytes.clone(),
                Field::Number(n) => panic!("field {number} is the number {n}"),
            })
            .collect()
    }

    fn one(fields: &[(u32, Field)], number: u32) -> Vec<u8> {
        let mut found = all(fields, number);
        assert_eq!(found.len(), 1, "field {number} in {fields:?}");
        found.remove(0)
    }

    fn number(fields: &[(u32, Field)], field: u32) -> u64 {
        match fields.iter().find(|(n, _)| *n == field) {
            Some((_, Field::Number(n))) => *n,
            other => panic!("field {field}: {other:?}"),
        }
    }

    #[test]
    fn a_minimal_span_has_the_expected_bytes() {
        let data = SpanData {
            context: SpanContext {
                trace_id: [0x11; 16],
                span_id: [0x22; 8],
                sampled: true,
            },
            parent_span_id: None,
            name: "n".into(),
            kind: SpanKind::Internal,
            start_unix_nanos: 1,
            end_unix_nanos: 300,
            attributes: vec![("k", Value::Int(-1))],
            links: Vec::new(),
            error: None,
        };
        let mut writer = Writer::default();
        write_span(&mut writer, &data);
        let mut expected = vec![0x0a, 16];
        expected.extend([0x11; 16]);
        expected.extend([0x12, 8]);
        expected.extend([0x22; 8]);
        expected.extend([0x2a, 1, b'n']); // name = 5
        expected.extend([0x30, 1]); // kind = 6: INTERNAL
        expected.extend([0x39, 1, 0, 0, 0, 0, 0, 0, 0]); // start = 7, fixed64
        expected.extend([0x41, 0x2c, 0x01, 0, 0, 0, 0, 0, 0]); // end = 8: 300
                                                               // attributes = 9: KeyValue { key = "k", value = AnyValue { int_value = -1 } }
        expected.extend([0x4a, 16, 0x0a, 1, b'k', 0x12, 11, 0x18]);
        expected.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(writer.0, expected);
    }

    #[test]
    fn a_request_decodes_to_the_resource_scope_and_spans() {
        let resource = [("service.name".to_owned(), "shop".to_owned())];
        let request = decode(&encode(&resource, &[sample_span(), sample_span()]));
        let resource_spans = decode(&one(&request, 1));

        let resource = decode(&one(&resource_spans, 1));
        let attribute = decode(&one(&resource, 1));
        assert_eq!(one(&attribute, 1), b"service.name");
        assert_eq!(one(&decode(&one(&attribute, 2)), 1), b"shop");

        let scope_spans = decode(&one(&resource_spans, 2));
        let scope = decode(&one(&scope_spans, 1));
        assert_eq!(one(&scope, 1), b"wasmart");
        let spans = all(&scope_spans, 2);
        assert_eq!(spans.len(), 2);

        let span = decode(&spans[0]);
        let expected = sample_span();
        assert_eq!(one(&span, 1), expected.context.trace_id);
        assert_eq!(one(&span, 2), expected.context.span_id);
        assert_eq!(one(&span, 4), expected.parent_span_id.unwrap());
        assert_eq!(one(&span, 5), b"GET /api/...");
        assert_eq!(number(&span, 6), 2);
        assert_eq!(number(&span, 7), expected.start_unix_nanos);
        assert_eq!(number(&span, 8), expected.end_unix_nanos);
        let attributes = all(&span, 9);
        assert_eq!(attributes.len(), 2);
        let status_code = decode(&attributes[1]);
        assert_eq!(one(&status_code, 1), b"http.response.status_code");
        assert_eq!(number(&decode(&one(&status_code, 2)), 3), 503);
        let link = decode(&one(&span, 13));
        assert_eq!(one(&link, 2), [10, 11, 12, 13, 14, 15, 16, 17]);
        let status = decode(&one(&span, 15));
        assert_eq!(one(&status, 2), b"HTTP 503");
        assert_eq!(number(&status, 3), 2);
    }
}
