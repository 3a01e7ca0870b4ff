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
//! layer whose bounds carry a key (the language): same key, the usual
//! partial repaint; new key, all of it, once per buffer.

use iced_core::layout::{self, Layout};
use iced_core::widget::{Operation, Tree, tree};
use iced_core::{
    Clipboard, Element, Event, Length, Rectangle, Shell, Size, Vector, Widget, mouse, overlay,
    renderer,
};

/// `content`, repainted whole whenever `key` differs from the frame before.
pub fn repaint_on<'a, Message, Theme, Renderer>(
    key: u8,
    content: impl Into<Element<'a, Message, Theme, Renderer>>,
) -> Repaint<'a, Message, Theme, Renderer>
where
    Renderer: iced_core::Renderer,
{
    Repaint {
        key,
        content: content.into(),
    }
}

pub struct Repaint<'a, Message, Theme, Renderer> {
    key: u8,
    content: Element<'a, Message, Theme, Renderer>,
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
        self.content
            .as_widget_mut()
            .layout(&mut tree.children[0], renderer, limits)
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
        // The key lengthens the layer past the content's bottom edge by
        // that many pixels: nothing is drawn there, but the bounds differ.
        let bounds = layout.bounds();
        let keyed = Rectangle {
            height: bounds.height + f32::from(self.key),
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
