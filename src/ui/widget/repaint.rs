//! Draw a view so that a change of its words repaints all of it.
//!
//! Why: the software renderer (iced_tiny_skia 0.14) repaints only the
//! parts of the window that changed since the frame in the buffer it draws
//! into, and for a changed text that part is the text's line box. The
//! till's font (Noto Sans Mono CJK) draws some glyphs a little past the
//! 1.3-em line box iced gives a text (the descenders of g, p, y reach the
//! pixel row below it), so the old text's ink in that row was never
//! painted over: a language switch left a row of stray pixels under the
//! banner, the close-day figures and the screens' messages.
//!
//! The renderer repaints a whole layer when its bounds differ from the
//! ones it had in that earlier frame. This wrapper draws its content in a
//! layer whose bounds carry a key: the language and the shape of the laid
//! out view (every box's place and size). A language switch, another
//! screen or a screen's next step changes the key and is repainted whole,
//! once per buffer; a hover, a blinking cursor or a key tick that moves no
//! box keeps the usual partial repaint.

use iced_core::layout::{self, Layout};
use iced_core::widget::{Operation, Tree, tree};
use iced_core::{
    Clipboard, Element, Event, Length, Rectangle, Shell, Size, Vector, Widget, mouse, overlay,
    renderer,
};

/// `content`, repainted whole whenever `key` or its layout's shape differs
/// from the frame before.
pub fn repaint_on<'a, Message, Theme, Renderer>(
    key: u64,
    content: impl Into<Element<'a, Message, Theme, Renderer>>,
) -> Repaint<'a, Message, Theme, Renderer>
where
    Renderer: iced_core::Renderer,
{
    Repaint {
        key,
        shape: 0,
        content: content.into(),
    }
}

pub struct Repaint<'a, Message, Theme, Renderer> {
    key: u64,
    /// The key with the laid-out shape hashed in (see [`shape_of`]).
    shape: u64,
    content: Element<'a, Message, Theme, Renderer>,
}

/// Every box of a laid-out view, its place and size to the half pixel, in
/// tree order, hashed with `key`.
fn shape_of(key: u64, node: &layout::Node) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(node: &layout::Node, at: iced_core::Point, hasher: &mut impl Hasher) {
        let b = node.bounds();
        let (x, y) = (at.x + b.x, at.y + b.y);
        for v in [x, y, b.width, b.height] {
            ((v * 2.0).round() as i64).hash(hasher);
        }
        node.children().len().hash(hasher);
        for child in node.children() {
            walk(child, iced_core::Point::new(x, y), hasher);
        }
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    walk(node, iced_core::Point::ORIGIN, &mut hasher);
    hasher.finish()
}

impl<Message, Theme, Renderer> Widget<Message, Theme, Renderer>
    for Repaint<'_, Message, Theme, Renderer>
where
    Renderer: iced_core::Renderer,
{
    fn size(&self) -> Size<Length> {
        self.content.as_widget().size()
    }

    fn size_hint(&self) -> Size<Length> {
        self.content.as_widget().size_hint()
    }

    fn children(&self) -> Vec<Tree> {
        vec![Tree::new(&self.content)]
    }

    fn diff(&self, tree: &mut Tree) {
        tree.diff_children(std::slice::from_ref(&self.content));
    }

    fn tag(&self) -> tree::Tag {
        tree::Tag::stateless()
    }

    fn layout(
        &mut self,
        tree: &mut Tree,
        renderer: &Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        let node = self
            .content
            .as_widget_mut()
            .layout(&mut tree.children[0], renderer, limits);
        self.shape = shape_of(self.key, &node);
        node
    }

    fn draw(
        &self,
        tree: &Tree,
        renderer: &mut Renderer,
        theme: &Theme,
        style: &renderer::Style,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        // The key stretches the layer past the content's right and bottom
        // edges by up to a thousand pixels each: nothing is drawn there,
        // but the bounds differ whenever the key does (but for one change
        // in about a million).
        let bounds = layout.bounds();
        let keyed = Rectangle {
            width: bounds.width + (self.shape % 1009) as f32,
            height: bounds.height + (self.shape / 1009 % 1013) as f32,
            ..bounds
        };
        renderer.with_layer(keyed, |renderer| {
            self.content.as_widget().draw(
                &tree.children[0],
                renderer,
                theme,
                style,
                layout,
                cursor,
                viewport,
            );
        });
    }

    fn operate(
        &mut self,
        tree: &mut Tree,
        layout: Layout<'_>,
        renderer: &Renderer,
        operation: &mut dyn Operation,
    ) {
        self.content
            .as_widget_mut()
            .operate(&mut tree.children[0], layout, renderer, operation);
    }

    fn update(
        &mut self,
        tree: &mut Tree,
        event: &Event,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        renderer: &Renderer,
        clipboard: &mut dyn Clipboard,
        shell: &mut Shell<'_, Message>,
        viewport: &Rectangle,
    ) {
        self.content.as_widget_mut().update(
            &mut tree.children[0],
            event,
            layout,
            cursor,
            renderer,
            clipboard,
            shell,
            viewport,
        );
    }

    fn mouse_interaction(
        &self,
        tree: &Tree,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
        renderer: &Renderer,
    ) -> mouse::Interaction {
        self.content.as_widget().mouse_interaction(
            &tree.children[0],
            layout,
            cursor,
            viewport,
            renderer,
        )
    }

    fn overlay<'b>(
        &'b mut self,
        tree: &'b mut Tree,
        layout: Layout<'b>,
        renderer: &Renderer,
        viewport: &Rectangle,
        translation: Vector,
    ) -> Option<overlay::Element<'b, Message, Theme, Renderer>> {
        self.content.as_widget_mut().overlay(
            &mut tree.children[0],
            layout,
            renderer,
            viewport,
            translation,
        )
    }
}

impl<'a, Message, Theme, Renderer> From<Repaint<'a, Message, Theme, Renderer>>
    for Element<'a, Message, Theme, Renderer>
where
    Message: 'a,
    Theme: 'a,
    Renderer: iced_core::Renderer + 'a,
{
    fn from(repaint: Repaint<'a, Message, Theme, Renderer>) -> Self {
        Element::new(repaint)
    }
}
