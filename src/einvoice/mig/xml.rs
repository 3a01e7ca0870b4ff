//! A tiny deterministic XML writer and a reader into a tree, for MIG
//! messages: UTF-8, two-space indent, no attributes but the namespace, so
//! the same message always gives the same bytes.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{MessageType, MigError};

/// Writes one message. Elements are opened and closed explicitly so the
/// order in the output is exactly the order of the calls.
pub(crate) struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    pub(crate) fn new(message: MessageType) -> Writer {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<{} xmlns=\"{}\">\n",
            message.root(),
            message.namespace()
        ));
        Writer { out, depth: 1 }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    pub(crate) fn open(&mut self, name: &str) {
        self.indent();
        self.out.push_str(&format!("<{name}>\n"));
        self.depth += 1;
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str(&format!("</{name}>\n"));
    }

    pub(crate) fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.out
            .push_str(&format!("<{name}>{}</{name}>\n", escape(text)));
    }

    pub(crate) fn leaf_opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(name, t);
        }
    }

    pub(crate) fn finish(mut self, message: MessageType) -> String {
        self.depth -= 1;
        self.out.push_str(&format!("</{}>\n", message.root()));
        self.out
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// One element of a parsed message: its local name, its text (leaves) and
/// its children in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub namespace: Option<String>,
    pub text: String,
    pub children: Vec<Node>,
}

/// Parse a message into a tree. Whitespace between elements is dropped.
pub fn parse(xml: &str) -> Result<Node, MigError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Node> = Vec::new();
    let err = |e: &dyn std::fmt::Display| MigError::Parse(e.to_string());
    loop {
        match reader.read_event().map_err(|e| err(&e))? {
            Event::Start(e) => stack.push(start_node(&e)?),
            Event::Empty(e) => {
                let node = start_node(&e)?;
                push_child(&mut stack, node)?;
            }
            Event::End(_) => {
                let node = stack.pop().ok_or_else(|| err(&"unbalanced end tag"))?;
                if stack.is_empty() {
                    return Ok(node);
                }
                push_child(&mut stack, node)?;
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| err(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::CData(t) => {
                let text = String::from_utf8(t.into_inner().to_vec()).map_err(|e| err(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::Eof => return Err(err(&"no root element")),
            _ => {}
        }
    }
}

fn start_node(e: &quick_xml::events::BytesStart<'_>) -> Result<Node, MigError> {
    let name = String::from_utf8(e.local_name().as_ref().to_vec())
        .map_err(|e| MigError::Parse(e.to_string()))?;
    let mut namespace = None;
    for a in e.attributes() {
        let a = a.map_err(|e| MigError::Parse(e.to_string()))?;
        if a.key.as_ref() == b"xmlns" {
            let v = a
                .unescape_value()
                .map_err(|e| MigError::Parse(e.to_string()))?;
            namespace = Some(v.into_owned());
        }
    }
    Ok(Node {
        name,
        namespace,
        text: String::new(),
        children: Vec::new(),
    })
}

fn push_child(stack: &mut [Node], node: Node) -> Result<(), MigError> {
    stack
        .last_mut()
        .ok_or_else(|| MigError::Parse("content after the root element".into()))?
        .children
        .push(node);
    Ok(())
}

/// Every leaf of a message as (`path`, value), in document order: e.g.
/// `Invoice/Main/Seller/Identifier`. Repeated siblings get a 1-based index
/// (`Invoice/Details/ProductItem[2]/Amount`), so two messages can be
/// compared field by field and a difference names its path.
pub fn flatten(xml: &str) -> Result<Vec<(String, String)>, MigError> {
    let root = parse(xml)?;
    let mut out = Vec::new();
    walk(&root, root.name.clone(), &mut out);
    Ok(out)
}

fn walk(node: &Node, path: String, out: &mut Vec<(String, String)>) {
    if node.children.is_empty() {
        out.push((path, node.text.clone()));
        return;
    }
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for child in &node.children {
        let total = node
            .children
            .iter()
            .filter(|c| c.name == child.name)
            .count();
        let n = match seen.iter_mut().find(|(name, _)| *name == child.name) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                seen.push((&child.name, 1));
                1
            }
        };
        let child_path = if total > 1 {
            format!("{path}/{}[{n}]", child.name)
        } else {
            format!("{path}/{}", child.name)
        };
        walk(child, child_path, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_escapes_and_flatten_round_trips() {
        let mut w = Writer::new(MessageType::F0501);
        w.leaf("CancelReason", "退貨 <A&B> \"x\"");
        let xml = w.finish(MessageType::F0501);
        assert!(xml.contains("&lt;A&amp;B&gt;"));
        let flat = flatten(&xml).unwrap();
        assert_eq!(
            flat,
            vec![(
                "CancelInvoice/CancelReason".to_string(),
                "退貨 <A&B> \"x\"".to_string()
            )]
        );
        assert_eq!(
            parse(&xml).unwrap().namespace.as_deref(),
            Some("urn:GEINV:eInvoiceMessage:F0501:4.1")
        );
    }

    #[test]
    fn repeated_siblings_are_indexed() {
        let xml = "<R><D><P><A>1</A></P><P><A>2</A></P></D><S>x</S></R>";
        let flat = flatten(xml).unwrap();
        assert_eq!(flat[0], ("R/D/P[1]/A".into(), "1".into()));
        assert_eq!(flat[1], ("R/D/P[2]/A".into(), "2".into()));
        assert_eq!(flat[2], ("R/S".into(), "x".into()));
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(matches!(flatten("<a><b></a>"), Err(MigError::Parse(_))));
        assert!(matches!(flatten(""), Err(MigError::Parse(_))));
    }
}
