//! Static assets (GOV.UK Frontend CSS, JS, images), embedded in the binary.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct AssetFiles;

pub async fn asset(path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    match AssetFiles::get(&path) {
        Some(file) => {
            let mime = mime_guess::from_path(&path).first_or_octet_stream();
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, mime.as_ref()))
                .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
                .insert_header((
                    header::ETAG,
                    format!("\"{}\"", hex::encode(file.metadata.sha256_hash())),
                ))
                .body(file.data.into_owned())
        }
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found"),
    }
}
