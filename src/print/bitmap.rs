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
        for yy in y..y.saturating_add(h).min(self.height) {
            for xx in x..x.saturating_add(w).min(self.width) {
                self.dots[(yy * self.width + xx) as usize] = true;
            }
        }
    }

    /// OR `other` onto this image with its top-left corner at (x, y).
    pub fn blit(&mut self, other: &Bitmap, x: i64, y: i64) {
        for oy in 0..other.height {
            let ty = y + oy as i64;
            if ty < 0 || ty >= self.height as i64 {
                continue;
            }
            for ox in 0..other.width {
                let tx = x + ox as i64;
                if tx >= 0 && tx < self.width as i64 && other.get(ox, oy) {
                    self.dots[(ty as u32 * self.width + tx as u32) as usize] = true;
                }
            }
        }
    }

    /// Nearest-neighbour enlargement, as printers do for double-size text.
    pub fn scaled(&self, sx: u32, sy: u32) -> Bitmap {
        if sx == 1 && sy == 1 {
            return self.clone();
        }
        let mut out = Bitmap::new(self.width * sx, self.height * sy);
        for y in 0..out.height {
            for x in 0..out.width {
                if self.get(x / sx, y / sy) {
                    out.dots[(y * out.width + x) as usize] = true;
                }
            }
        }
        out
    }

    /// Grow the height (new rows white); used by the emulator's endless paper.
    pub fn grow_to(&mut self, height: u32) {
        if height > self.height {
            self.dots
                .resize(self.width as usize * height as usize, false);
            self.height = height;
        }
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

    #[test]
    fn scaling_doubles_each_dot() {
        let b = Bitmap::from_ascii(&["#."]).scaled(2, 2);
        assert_eq!(b, Bitmap::from_ascii(&["##..", "##.."]));
    }
}
