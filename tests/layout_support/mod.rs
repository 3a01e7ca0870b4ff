//! The layout check "from the layout": lay a view out at a window size
//! exactly as iced does, then measure every text with iced's own text
//! layout (the paragraph the text widget keeps, its font, size, line height,
//! shaping and wrapping) and compare what the text needs with the box the
//! layout gave it.
//!
//! Why not a selector over the labels' bounds: iced resolves a text's box
//! within the room its parent has and lets the glyphs overflow that box, so
//! bounds alone looked fine even at 640×480. The paragraph knows better.
//!
//! Problems found (each names its text and sizes):
//! - a text that needs more than its box (wider, or more lines than fit);
//! - a text or button outside the window, or outside a parent (a row or
//!   column squeezed past its own bounds; scrollables' content excepted);
//! - two texts overlapping.
//!
//! Buttons are measured where the pointer says they can be pressed.
#![allow(dead_code)]

use std::borrow::Cow;
use std::sync::Once;

// iced's `advanced` API, through iced_test (the till's own iced build
// leaves that feature off): the same iced_core the app is made of.
use iced::{Element, Font, Pixels, Rectangle, Size, Vector};
use iced_test::core::layout::{Layout, Limits};
use iced_test::core::renderer::Headless;
use iced_test::core::text::{self, Paragraph as _, paragraph::Plain};
use iced_test::core::widget::{Id, Operation, Tree, tree::Tag};

/// The paragraph type of the renderer the till draws with.
type Para = <iced::Renderer as text::Renderer>::Paragraph;

/// Rounding in iced's layout: sizes are floats; half a pixel is noise.
const SLACK: f32 = 0.5;

/// A text as laid out.
#[derive(Debug, Clone)]
pub struct Label {
    pub content: String,
    /// The box the layout gave it, in window coordinates.
    pub bounds: Rectangle,
    /// What the text needs at its box's width (wrapped as the widget wraps).
    pub needs: Size,
    /// Its natural width on one line.
    pub one_line: f32,
    pub size: f32,
}

/// A button as laid out, with the texts on it.
#[derive(Debug, Clone)]
pub struct Target {
    pub bounds: Rectangle,
    pub labels: Vec<String>,
}

/// One screen laid out at one window size.
#[derive(Debug, Default)]
pub struct Laid {
    pub window: Size,
    pub labels: Vec<Label>,
    pub buttons: Vec<Target>,
    /// Everything wrong, one line each.
    pub problems: Vec<String>,
}

impl Laid {
    /// Buttons narrower or lower than `min` px, named by their texts.
    pub fn small_targets(&self, min: f32) -> Vec<String> {
        self.buttons
            .iter()
            .filter(|b| b.bounds.width + SLACK < min || b.bounds.height + SLACK < min)
            .map(|b| {
                format!(
                    "{:?} is {:.0}×{:.0}",
                    b.labels.join(" "),
                    b.bounds.width,
                    b.bounds.height
                )
            })
            .collect()
    }

    /// The laid-out label showing exactly `content`.
    pub fn label(&self, content: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.content == content)
    }
}

fn load_font() {
    static FONT: Once = Once::new();
    FONT.call_once(|| {
        iced_test::renderer::graphics::text::font_system()
            .write()
            .expect("font system")
            .load_font(Cow::Borrowed(till::ui::FONT_BYTES));
    });
}

/// The headless renderer with the till's font as its default, as the app
/// runs (`src/ui/mod.rs`: `.default_font(FONT_FAMILY)`, iced's 16 px).
fn renderer() -> iced::Renderer {
    load_font();
    iced_test::futures::futures::executor::block_on(<iced::Renderer as Headless>::new(
        Font::with_name(till::ui::FONT_FAMILY),
        Pixels(16.0),
        None,
    ))
    .expect("a headless renderer")
}

/// What iced's operations report while walking the laid-out view: each
/// text's content and box, and the room its parents give it (the window
/// narrowed by every row, column, container and button around it; none
/// inside a scrollable, whose content is meant to extend past it).
struct Reported {
    /// Content, box, room, and the part a scrollable lets be seen.
    texts: Vec<(String, Rectangle, Option<Rectangle>, Option<Rectangle>)>,
    room: Option<Rectangle>,
    /// The bounds the next `traverse` is inside of.
    next: Option<Rectangle>,
    /// What the scrollables around let be seen (the window at first).
    seen: Rectangle,
    next_seen: Rectangle,
}

impl Operation for Reported {
    fn traverse(&mut self, operate: &mut dyn FnMut(&mut dyn Operation)) {
        let (outer, outer_seen) = (self.room, self.seen);
        self.room = self.next;
        self.seen = self.next_seen;
        operate(self);
        self.room = outer;
        self.next = outer;
        self.seen = outer_seen;
        self.next_seen = outer_seen;
    }

    fn container(&mut self, _: Option<&Id>, bounds: Rectangle) {
        self.next = self.room.map(|r| {
            r.intersection(&bounds)
                .unwrap_or(Rectangle::new(bounds.position(), Size::ZERO))
        });
        self.next_seen = self.seen;
    }

    fn scrollable(
        &mut self,
        _: Option<&Id>,
        bounds: Rectangle,
        _: Rectangle,
        _: Vector,
        _: &mut dyn iced_test::core::widget::operation::Scrollable,
    ) {
        self.next = None;
        self.next_seen = self
            .seen
            .intersection(&bounds)
            .unwrap_or(Rectangle::new(bounds.position(), Size::ZERO));
    }

    fn text(&mut self, _: Option<&Id>, bounds: Rectangle, text: &str) {
        self.texts.push((
            text.to_string(),
            bounds,
            self.room,
            self.seen.intersection(&bounds),
        ));
    }
}

/// A text widget's paragraph as its state keeps it, and the button it is
/// on (by order of buttons in the tree), if any.
struct Kept<'a> {
    plain: &'a Plain<Para>,
    button: Option<usize>,
}

/// The texts' paragraphs in tree order (the order operations visit them),
/// counting buttons.
fn kept<'a>(
    tree: &'a Tree,
    button_tag: Tag,
    on: Option<usize>,
    buttons: &mut usize,
    out: &mut Vec<Kept<'a>>,
) {
    let mut on = on;
    if tree.tag == button_tag {
        on = Some(*buttons);
        *buttons += 1;
    }
    if tree.tag == Tag::of::<Plain<Para>>() {
        out.push(Kept {
            plain: tree.state.downcast_ref::<Plain<Para>>(),
            button: on,
        });
    }
    for c in &tree.children {
        kept(c, button_tag, on, buttons, out);
    }
}

/// Lay `view` out in a `window` and check it.
pub fn lay_out<Message>(view: Element<'_, Message>, window: (f32, f32)) -> Laid {
    let window = Size::new(window.0, window.1);
    let renderer = renderer();
    let mut view = view;
    let mut tree = Tree::new(view.as_widget());
    tree.diff(view.as_widget());
    let node = view
        .as_widget_mut()
        .layout(&mut tree, &renderer, &Limits::new(Size::ZERO, window));
    let screen = Rectangle::new(iced::Point::ORIGIN, window);
    let mut reported = Reported {
        texts: Vec::new(),
        room: Some(screen),
        next: Some(screen),
        seen: screen,
        next_seen: screen,
    };
    view.as_widget_mut()
        .operate(&mut tree, Layout::new(&node), &renderer, &mut reported);

    let button_tag = {
        let b: Element<'_, ()> = iced::widget::button("").into();
        b.as_widget().tag()
    };
    let mut paragraphs = Vec::new();
    let mut buttons = 0;
    kept(&tree, button_tag, None, &mut buttons, &mut paragraphs);

    let mut laid = Laid {
        window,
        ..Laid::default()
    };
    // Each reported text with its paragraph: both come in tree order.
    let mut next = 0;
    let mut on_buttons: Vec<Vec<(String, Rectangle)>> = vec![Vec::new(); buttons];
    let mut seen_parts = Vec::new();
    for (content, bounds, room, seen) in &reported.texts {
        if content.is_empty() {
            continue;
        }
        let Some(found) = paragraphs[next..]
            .iter()
            .position(|k| k.plain.content() == content)
        else {
            laid.problems
                .push(format!("{content:?} is on screen but was not measured"));
            continue;
        };
        let kept = &paragraphs[next + found];
        next += found + 1;
        let raw = kept.plain.raw();
        let measure = |width: f32| {
            Para::with_text(text::Text {
                content: content.as_str(),
                bounds: Size::new(width, f32::INFINITY),
                size: raw.size(),
                line_height: raw.line_height(),
                font: raw.font(),
                align_x: raw.align_x(),
                align_y: raw.align_y(),
                shaping: raw.shaping(),
                wrapping: raw.wrapping(),
            })
            .min_bounds()
        };
        let needs = measure(bounds.width);
        if needs.width > bounds.width + SLACK || needs.height > bounds.height + SLACK {
            laid.problems.push(format!(
                "{content:?} at {:.0} px needs {:.0}×{:.0} but its box is {}",
                raw.size().0,
                needs.width,
                needs.height,
                rect(bounds)
            ));
        }
        if bounds.width > 0.0 && bounds.height > 0.0 {
            if !inside(bounds, &screen) {
                laid.problems.push(format!(
                    "{content:?} {} lies outside the window",
                    rect(bounds)
                ));
            } else if let Some(room) = room
                && !inside(bounds, room)
            {
                laid.problems.push(format!(
                    "{content:?} {} lies outside its parents' {}",
                    rect(bounds),
                    rect(room)
                ));
            }
        }
        if let Some(b) = kept.button {
            on_buttons[b].push((content.clone(), *bounds));
        }
        if let Some(seen) = seen {
            seen_parts.push((content.clone(), *seen));
        }
        laid.labels.push(Label {
            content: content.clone(),
            bounds: *bounds,
            needs,
            one_line: measure(f32::INFINITY).width,
            size: raw.size().0,
        });
    }

    // A button's extent: where the pointer shows it can be pressed, found
    // from its first text outwards (disabled buttons do not answer).
    let pressable = |at: iced::Point| {
        view.as_widget().mouse_interaction(
            &tree,
            Layout::new(&node),
            iced_test::core::mouse::Cursor::Available(at),
            &screen,
            &renderer,
        ) == iced_test::core::mouse::Interaction::Pointer
    };
    for texts in on_buttons.into_iter().filter(|t| !t.is_empty()) {
        let centre = texts[0].1.center();
        if !pressable(centre) {
            continue;
        }
        // How far from `centre` along `step` the button still answers.
        let reach = |step: Vector| {
            let mut d = 0.0_f32;
            while d < 4000.0 && pressable(centre + step * (d + 1.0)) {
                d += 1.0;
            }
            d
        };
        let (l, r) = (reach(Vector::new(-1.0, 0.0)), reach(Vector::new(1.0, 0.0)));
        let (u, dn) = (reach(Vector::new(0.0, -1.0)), reach(Vector::new(0.0, 1.0)));
        laid.buttons.push(Target {
            bounds: Rectangle {
                x: centre.x - l,
                y: centre.y - u,
                width: l + r + 1.0,
                height: u + dn + 1.0,
            },
            labels: texts.into_iter().map(|(c, _)| c).collect(),
        });
    }

    // No two texts overlap where they can be seen (a scrollable hides
    // what is scrolled out of it).
    let overlaps = |a: &Rectangle, b: &Rectangle| {
        a.intersection(b)
            .is_some_and(|i| i.width > SLACK && i.height > SLACK)
    };
    for (i, (a, ra)) in seen_parts.iter().enumerate() {
        for (b, rb) in &seen_parts[i + 1..] {
            if overlaps(ra, rb) {
                laid.problems
                    .push(format!("{a:?} {} overlaps {b:?} {}", rect(ra), rect(rb)));
            }
        }
    }
    laid
}

fn rect(r: &Rectangle) -> String {
    format!("{:.0}×{:.0} at ({:.0},{:.0})", r.width, r.height, r.x, r.y)
}

fn inside(inner: &Rectangle, outer: &Rectangle) -> bool {
    inner.x + SLACK >= outer.x
        && inner.y + SLACK >= outer.y
        && inner.x + inner.width <= outer.x + outer.width + SLACK
        && inner.y + inner.height <= outer.y + outer.height + SLACK
}

/// Panics listing every problem, with the screen's name and size.
pub fn assert_lays_out(laid: &Laid, what: &str) {
    assert!(
        laid.problems.is_empty(),
        "{what} at {:.0}×{:.0}: {} problem(s):\n  {}",
        laid.window.width,
        laid.window.height,
        laid.problems.len(),
        laid.problems.join("\n  ")
    );
}
