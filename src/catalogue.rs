//! The store's products: looked up by barcode when scanned and searched by
//! name or barcode when picked by hand. Pure: the caller loads the TOML text.

use serde::Deserialize;

use crate::money::Ntd;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Product {
    /// EAN-13 / EAN-8 / UPC-A, or the store's own code.
    pub ean: String,
    pub name: String,
    /// Tax-inclusive whole NT$.
    pub price: Ntd,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    products: Vec<Product>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    product: Vec<Product>,
}

/// The demo shop's products, shipped in the binary.
pub const DEMO: &str = include_str!("../assets/demo/products.toml");

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    Parse(String),
    Duplicate(String),
    NegativePrice(String),
}
impl crate::locale::Localized for CatalogueError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Parse(v0) => fill(lang, "words.catalogue.parse", &[("value", v0)]),
            Self::Duplicate(v0) => fill(lang, "words.catalogue.duplicate", &[("value", v0)]),
            Self::NegativePrice(v0) => {
                fill(lang, "words.catalogue.negative_price", &[("value", v0)])
            }
        }
    }
}

crate::display_both!(CatalogueError);

impl Catalogue {
    pub fn parse(toml_text: &str) -> Result<Catalogue, CatalogueError> {
        let file: File =
            toml::from_str(toml_text).map_err(|e| CatalogueError::Parse(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for p in &file.product {
            if !seen.insert(p.ean.clone()) {
                return Err(CatalogueError::Duplicate(p.ean.clone()));
            }
            if p.price.is_negative() {
                return Err(CatalogueError::NegativePrice(p.name.clone()));
            }
        }
        Ok(Catalogue {
            products: file.product,
        })
    }

    pub fn demo() -> Catalogue {
        Catalogue::parse(DEMO).expect("the shipped demo catalogue is valid")
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    pub fn by_barcode(&self, code: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.ean == code.trim())
    }

    /// Products whose name contains the query (case-insensitive) or whose
    /// barcode starts with it; everything for an empty query.
    pub fn search(&self, query: &str) -> Vec<&Product> {
        let q = query.trim().to_lowercase();
        self.products
            .iter()
            .filter(|p| q.is_empty() || p.name.to_lowercase().contains(&q) || p.ean.starts_with(&q))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_catalogue_is_searchable_in_both_languages() {
        let c = Catalogue::demo();
        assert!(c.products().len() >= 10);
        assert_eq!(c.search("拿鐵").len(), 2);
        assert_eq!(c.search("LATTE").len(), 2);
        assert_eq!(c.search("").len(), c.products().len());
        assert!(c.search("沒有這個").is_empty());
        let first = &c.products()[0];
        assert_eq!(c.by_barcode(&format!(" {}\r", first.ean)), Some(first));
    }

    #[test]
    fn demo_barcodes_have_valid_ean13_check_digits() {
        for p in Catalogue::demo().products() {
            let d: Vec<u32> = p.ean.chars().map(|c| c.to_digit(10).unwrap()).collect();
            assert_eq!(d.len(), 13, "{}", p.ean);
            let sum: u32 = d[..12]
                .iter()
                .enumerate()
                .map(|(i, x)| if i % 2 == 1 { x * 3 } else { *x })
                .sum();
            assert_eq!((10 - sum % 10) % 10, d[12], "{}", p.ean);
        }
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let dup =
            "[[product]]\nean='1'\nname='a'\nprice=1\n[[product]]\nean='1'\nname='b'\nprice=2\n";
        assert!(matches!(Catalogue::parse(dup), Err(CatalogueError::Duplicate(e)) if e == "1"));
        let neg = "[[product]]\nean='1'\nname='a'\nprice=-1\n";
        assert!(matches!(
            Catalogue::parse(neg),
            Err(CatalogueError::NegativePrice(_))
        ));
        assert!(matches!(
            Catalogue::parse("product = 3"),
            Err(CatalogueError::Parse(_))
        ));
    }
}
