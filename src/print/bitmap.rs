//! One-bit images: what a thermal head prints, dot for dot.

/// A black-and-white image; `true` is a printed (black) dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: u32,
    height: u32,
    dots: Vec<bool>,
}

impl Bitmap {
    pub fn new(width: u32, height: u32) -> Bitmap {
        Bitmap {
            width,
            height,
            dots: vec![false; width as usize * height as usize],
        }
    }

    /// Rows of `'#'` (black) and anything else (white), for logos and tests.
    pub fn from_ascii(rows: &[&str]) -> Bitmap {
        let width = rows.iter().map(|r| r.chars().count()).max().unwrap_or(0) as u32;
        let mut b = Bitmap::new(width, rows.len() as u32);
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                b.set(x as u32, y as u32, c == '#');
            }
        }
        b
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn get(&self, x: u32, y: u32) -> bool {
        x < self.width && y < self.height && self.dots[(y * self.width + x) as usize]
    }

    /// Out-of-range writes are dropped: the head has no dots there.
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x < self.width && y < self.height {
            self.dots[(y * self.width + x) as usize] = black;
        }
    }

    pub fn fill_rect(&mut self, x: u32, y: u32, w: u32, h: u32) {
        let (x0, x1) = (x.min(self.width), x.saturating_add(w).min(self.width));
        for yy in y..y.saturating_add(h).min(self.height) {
            self.row_mut(yy)[x0 as usize..x1 as usize].fill(true);
        }
    }

    /// The dots of row `y` (which must exist).
    fn row(&self, y: u32) -> &[bool] {
        let start = y as usize * self.width as usize;
        &self.dots[start..start + self.width as usize]
    }

    fn row_mut(&mut self, y: u32) -> &mut [bool] {
        let start = y as usize * self.width as usize;
        &mut self.dots[start..start + self.width as usize]
    }

    /// OR `other` onto this image with its top-left corner at (x, y).
    ///
    /// Whole row spans at a time, not dot by dot: the emulator blits every
    /// glyph twice (into its line, onto the paper), and per-dot bounds
    /// checks made rendering (and fuzzing it) slow.
    pub fn blit(&mut self, other: &Bitmap, x: i64, y: i64) {
        // The columns of `other` that land on this image.
        let src_x0 = (-x).clamp(0, other.width as i64);
        let src_x1 = (self.width as i64 - x).clamp(src_x0, other.width as i64);
        if src_x0 >= src_x1 {
            return;
        }
        let (src_x0, src_x1) = (src_x0 as usize, src_x1 as usize);
        let dst_x0 = (x + src_x0 as i64) as usize;
        let dst_x1 = dst_x0 + (src_x1 - src_x0);
        let src_y0 = (-y).clamp(0, other.height as i64) as u32;
        let src_y1 = (self.height as i64 - y).clamp(src_y0 as i64, other.height as i64) as u32;
        for oy in src_y0..src_y1 {
            let src = &other.row(oy)[src_x0..src_x1];
            let dst = &mut self.row_mut((y + oy as i64) as u32)[dst_x0..dst_x1];
            for (d, s) in dst.iter_mut().zip(src) {
                *d |= *s;
            }
        }
    }

    /// Nearest-neighbour enlargement, as printers do for double-size text.
    pub fn scaled(&self, sx: u32, sy: u32) -> Bitmap {
        if sx == 1 && sy == 1 {
            return self.clone();
        }
        let out_w = self.width as usize * sx as usize;
        let mut dots = Vec::with_capacity(out_w * self.height as usize * sy as usize);
        for y in 0..self.height {
            // One widened row, then its copies below it.
            let start = dots.len();
            for &dot in self.row(y) {
                dots.extend(std::iter::repeat_n(dot, sx as usize));
            }
            for _ in 1..sy {
                dots.extend_from_within(start..start + out_w);
            }
        }
        Bitmap {
            width: self.width * sx,
            height: self.height * sy,
            dots,
        }
    }

    /// Grow the height (new rows white); used by the emulator's endless paper.
    pub fn grow_to(&mut self, height: u32) {
        if height > self.height {
            self.set_height(height);
        }
    }

    /// Cut or grow (new rows white) the image to `height` rows.
    pub fn set_height(&mut self, height: u32) {
        self.dots
            .resize(self.width as usize * height as usize, false);
        self.height = height;
    }

    /// The narrowest column range that holds every black dot, if any.
    pub fn ink_columns(&self) -> Option<(u32, u32)> {
        let mut lo = u32::MAX;
        let mut hi = 0;
        for y in 0..self.height {
            for x in 0..self.width {
                if self.get(x, y) {
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
        }
        (lo != u32::MAX).then_some((lo, hi))
    }

    /// Columns `x0..x0+w` as a new image.
    pub fn crop_columns(&self, x0: u32, w: u32) -> Bitmap {
        let mut out = Bitmap::new(w, self.height);
        for y in 0..self.height {
            for x in 0..w {
                out.set(x, y, self.get(x0 + x, y));
            }
        }
        out
    }

    /// Bytes per row in `GS v 0` raster format (8 dots per byte, MSB left).
    pub fn raster_row_bytes(&self) -> u32 {
        self.width.div_ceil(8)
    }

    /// `GS v 0` raster data: rows top to bottom, 8 dots per byte, MSB left.
    pub fn to_raster(&self) -> Vec<u8> {
        let row = self.raster_row_bytes() as usize;
        let mut out = vec![0u8; row * self.height as usize];
        for y in 0..self.height {
            for x in 0..self.width {
                if self.get(x, y) {
                    out[y as usize * row + x as usize / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        out
    }

    /// Inverse of [`Bitmap::to_raster`].
    pub fn from_raster(width_bytes: u32, height: u32, data: &[u8]) -> Bitmap {
        let mut b = Bitmap::new(width_bytes * 8, height);
        for y in 0..height {
            for x in 0..width_bytes * 8 {
                let i = (y * width_bytes + x / 8) as usize;
                if data
                    .get(i)
                    .is_some_and(|byte| byte & (0x80 >> (x % 8)) != 0)
                {
                    b.set(x, y, true);
                }
            }
        }
        b
    }

    /// `ESC *` 24-dot column data for the band of rows `y0..y0+24`.
    pub fn to_column24(&self, y0: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.width as usize * 3);
        for x in 0..self.width {
            for k in 0..3 {
                let mut byte = 0u8;
                for bit in 0..8 {
                    if self.get(x, y0 + k * 8 + bit) {
                        byte |= 0x80 >> bit;
                    }
                }
                out.push(byte);
            }
        }
        out
    }

    /// A grayscale image: black dots 0, paper 255.
    pub fn to_gray(&self) -> image::GrayImage {
        image::GrayImage::from_fn(self.width, self.height, |x, y| {
            image::Luma([if self.get(x, y) { 0 } else { 255 }])
        })
    }

    /// Black wherever `img` is darker than mid-grey.
    pub fn from_gray(img: &image::GrayImage) -> Bitmap {
        let mut b = Bitmap::new(img.width(), img.height());
        for (x, y, p) in img.enumerate_pixels() {
            b.set(x, y, p.0[0] < 128);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raster_round_trip_keeps_every_dot() {
        let b = Bitmap::from_ascii(&["#..#.....#", ".##......."]);
        let data = b.to_raster();
        assert_eq!(data, vec![0b1001_0000, 0b0100_0000, 0b0110_0000, 0]);
        let back = Bitmap::from_raster(2, 2, &data);
        assert_eq!(back.crop_columns(0, 10), b);
    }

    /// A pseudo-random image (xorshift; no dependency for a test pattern).
    fn speckled(w: u32, h: u32, seed: u32) -> Bitmap {
        let mut state = seed | 1;
        let mut b = Bitmap::new(w, h);
        for y in 0..h {
            for x in 0..w {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                b.set(x, y, state % 3 == 0);
            }
        }
        b
    }

    #[test]
    fn row_blit_and_scale_draw_the_same_dots_as_dot_by_dot() {
        // The row-span blit and scale against the plain per-dot
        // definitions, at offsets that clip on every side.
        let src = speckled(13, 9, 7);
        for (x, y) in [
            (0, 0),
            (-5, -3),
            (20, 10),
            (25, 14),
            (-13, 0),
            (0, -9),
            (3, 2),
        ] {
            let mut fast = speckled(30, 18, 11);
            let mut slow = fast.clone();
            fast.blit(&src, x, y);
            for oy in 0..src.height() {
                for ox in 0..src.width() {
                    let (tx, ty) = (x + ox as i64, y + oy as i64);
                    if src.get(ox, oy) && tx >= 0 && ty >= 0 {
                        slow.set(tx as u32, ty as u32, true);
                    }
                }
            }
            assert_eq!(fast, slow, "blit at ({x}, {y})");
        }
        for (sx, sy) in [(1, 2), (2, 1), (3, 3), (8, 1)] {
            let big = src.scaled(sx, sy);
            assert_eq!((big.width(), big.height()), (13 * sx, 9 * sy));
            for y in 0..big.height() {
                for x in 0..big.width() {
                    assert_eq!(
                        big.get(x, y),
                        src.get(x / sx, y / sy),
                        "({x},{y}) ×{sx},{sy}"
                    );
                }
            }
        }
        let mut r = speckled(10, 6, 3);
        r.fill_rect(7, 4, 10, 10);
        assert!((7..10).all(|x| (4..6).all(|y| r.get(x, y))));
        // Cut to 4 rows, then grown back: the top stays, the rest is white.
        let whole = speckled(10, 6, 3);
        let mut cut = whole.clone();
        cut.set_height(4);
        cut.set_height(6);
        for y in 0..6 {
            for x in 0..10 {
                assert_eq!(cut.get(x, y), y < 4 && whole.get(x, y), "({x},{y})");
            }
        }
    }

    #[test]
    fn scaling_doubles_each_dot() {
        let b = Bitmap::from_ascii(&["#."]).scaled(2, 2);
        assert_eq!(b, Bitmap::from_ascii(&["##..", "##.."]));
    }
}
