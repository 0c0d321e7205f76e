//! Product pictures: a simple SVG card drawn from the product itself, so every product has
//! an image without storing files.

use crate::repository::Product;

/// The SVG for `product`.
pub fn svg(product: &Product) -> String {
    let (background, accent) = palette(&product.category);
    let initials: String = product
        .name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    let title = escape(&product.name);
    let caption = escape(&truncate(&product.name, 28));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" role="img" aria-label="{title}">
<title>{title}</title>
<rect width="400" height="300" fill="{background}"/>
<circle cx="200" cy="125" r="78" fill="{accent}" opacity="0.9"/>
<circle cx="320" cy="40" r="90" fill="#ffffff" opacity="0.12"/>
<text x="200" y="148" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="64" font-weight="700" fill="#ffffff">{initials}</text>
<text x="200" y="262" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="20" fill="#1f2933">{caption}</text>
</svg>"##,
        initials = escape(&initials),
    )
}

fn palette(category: &str) -> (&'static str, &'static str) {
    match category {
        "electronics" => ("#e0ecff", "#2f6fdb"),
        "books" => ("#fdf1dc", "#c77d12"),
        "kitchen" => ("#fde4e1", "#cc4b37"),
        "outdoors" => ("#e2f4e6", "#2f8f4e"),
        "toys" => ("#f3e6fb", "#8e44ad"),
        "apparel" => ("#e3f6f6", "#13838c"),
        _ => ("#eceff1", "#546e7a"),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
