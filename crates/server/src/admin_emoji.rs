//! `rookery admin emoji …`: this instance's custom emoji, added one by one or imported from a
//! directory or a `.tar.gz` archive of images named by their shortcodes (the packs people
//! share for Mastodon).

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use rookery_service::custom_emojis::{MAX_IMAGE_BYTES, NewEmoji};
use rookery_service::{ServiceError, Services};

use crate::app::StartError;
use crate::cli::EmojiCommand;

/// Bytes an archive may hold once decompressed, and entries it may have: a pack of a few
/// thousand emoji fits many times over, a decompression bomb does not.
const MAX_ARCHIVE_BYTES: u64 = 512 * 1024 * 1024;
const MAX_ARCHIVE_ENTRIES: usize = 20_000;

/// Operator-facing text for a refusal (the causes of storage trouble included: the operator
/// is the one who can act on them).
fn message(e: ServiceError, shortcode: &str) -> String {
    match e {
        ServiceError::NotFound(_) => format!("there is no custom emoji :{shortcode}:"),
        ServiceError::Unavailable(cause) => cause,
        ServiceError::Internal(cause) => format!("internal error: {cause}"),
        other => other.to_string(),
    }
}

/// The image of `path`, refused past the size limit before it is read.
fn read_image(path: &Path) -> Result<Vec<u8>, String> {
    let name = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open {name}: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{name} is not a file"));
    }
    if meta.len() > MAX_IMAGE_BYTES as u64 {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_IMAGE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    Ok(bytes)
}

fn too_large(len: u64) -> String {
    format!(
        "image is too large: {} KiB, the limit is {} KiB",
        len.div_ceil(1024),
        MAX_IMAGE_BYTES / 1024
    )
}

/// The shortcode an importable file stands for: `blobcat.png` → `blobcat`. Hidden files
/// (`._blobcat.png` from macOS archives) and other types are not emoji.
fn shortcode_of(file_name: &str) -> Option<&str> {
    if file_name.starts_with('.') {
        return None;
    }
    let (stem, ext) = file_name.rsplit_once('.')?;
    ["png", "gif", "webp"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
        .then_some(stem)
}

/// `admin emoji …`.
pub async fn emoji(services: &Services, command: &EmojiCommand) -> Result<String, StartError> {
    let area = services.custom_emojis();
    match command {
        EmojiCommand::Add {
            shortcode,
            file,
            category,
            unlisted,
        } => {
            let image = read_image(file).map_err(StartError::Other)?;
            let added = area
                .add(NewEmoji {
                    shortcode: shortcode.clone(),
                    image,
                    category: category.clone(),
                    visible_in_picker: !unlisted,
                })
                .await
                .map_err(|e| StartError::Other(message(e, shortcode)))?;
            Ok(format!(
                "Added :{}: ({}).\n",
                added.shortcode,
                area.image_url(&added).unwrap_or_default()
            ))
        }
        EmojiCommand::Import {
            path,
            category,
            unlisted,
        } => import(services, path, category.as_deref(), !unlisted).await,
        EmojiCommand::List { json } => {
            let list = area
                .list()
                .await
                .map_err(|e| StartError::Other(message(e, "")))?;
            if *json {
                let rows: Vec<serde_json::Value> = list
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "shortcode": e.shortcode,
                            "category": e.category,
                            "visible_in_picker": e.visible_in_picker,
                            "url": area.image_url(e),
                        })
                    })
                    .collect();
                return Ok(format!("{}\n", serde_json::Value::Array(rows)));
            }
            let mut out = format!(
                "{:<30} {:<20} {:<9} {}\n",
                "SHORTCODE", "CATEGORY", "PICKER", "URL"
            );
            for e in &list {
                let _ = writeln!(
                    out,
                    "{:<30} {:<20} {:<9} {}",
                    e.shortcode,
                    e.category.as_deref().unwrap_or("-"),
                    if e.visible_in_picker {
                        "listed"
                    } else {
                        "unlisted"
                    },
                    area.image_url(e).unwrap_or_default()
                );
            }
            Ok(out)
        }
        EmojiCommand::Remove { shortcode } => {
            let removed = area
                .remove(shortcode)
                .await
                .map_err(|e| StartError::Other(message(e, shortcode)))?;
            Ok(format!("Removed :{}:.\n", removed.shortcode))
        }
        EmojiCommand::Category {
            shortcode,
            category,
            none,
        } => {
            let to = if *none { None } else { category.as_deref() };
            let changed = area
                .set_category(shortcode, to)
                .await
                .map_err(|e| StartError::Other(message(e, shortcode)))?;
            Ok(match changed.category {
                Some(c) => format!(":{}: is now in {c:?}.\n", changed.shortcode),
                None => format!(":{}: has no category now.\n", changed.shortcode),
            })
        }
    }
}

/// `admin emoji import`: every image of a directory or archive. Shortcodes already taken are
/// skipped; any other refusal is reported, and makes the command fail once the rest is in.
async fn import(
    services: &Services,
    path: &Path,
    category: Option<&str>,
    visible_in_picker: bool,
) -> Result<String, StartError> {
    let name = path.to_string_lossy().to_lowercase();
    let files = if path.is_dir() {
        directory_images(path)
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        archive_images(path)
    } else {
        Err(format!(
            "{} is neither a directory nor a .tar.gz archive",
            path.display()
        ))
    }
    .map_err(StartError::Other)?;
    let (mut added, mut skipped, mut refused) = (0, 0, Vec::new());
    for (code, image) in files {
        let image = match image {
            Ok(bytes) => bytes,
            Err(reason) => {
                refused.push(format!(":{code}: {reason}"));
                continue;
            }
        };
        let new = NewEmoji {
            shortcode: code.clone(),
            image,
            category: category.map(str::to_owned),
            visible_in_picker,
        };
        match services.custom_emojis().add(new).await {
            Ok(_) => added += 1,
            Err(ServiceError::Conflict(_)) => skipped += 1,
            // Storage or the database being down stops the import: the rest would fail too.
            Err(e @ (ServiceError::Unavailable(_) | ServiceError::Internal(_))) => {
                return Err(StartError::Other(format!(
                    "imported {added} emoji, then stopped at :{code}:: {}",
                    message(e, &code)
                )));
            }
            Err(e) => refused.push(format!(":{code}: {}", message(e, &code))),
        }
    }
    let mut out = format!(
        "Imported {added} emoji; skipped {skipped} already there; {} refused.\n",
        refused.len()
    );
    for r in &refused {
        let _ = writeln!(out, "  {r}");
    }
    if refused.is_empty() {
        Ok(out)
    } else {
        Err(StartError::Other(out.trim_end().to_owned()))
    }
}

type Candidate = (String, Result<Vec<u8>, String>);

/// The images directly in a directory, by file name.
fn directory_images(dir: &Path) -> Result<Vec<Candidate>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(code) = shortcode_of(&file_name) else {
            continue;
        };
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        out.push((code.to_owned(), read_image(&entry.path())));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The images of a `.tar.gz` archive, in archive order, wherever they are in it.
fn archive_images(path: &Path) -> Result<Vec<Candidate>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let gz = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
    tar_images(gz.take(MAX_ARCHIVE_BYTES))
        .map_err(|e| format!("cannot read the archive {}: {e}", path.display()))
}

/// Reads a tar stream (ustar, GNU long names, pax `path` records) and keeps the importable
/// regular files. Oversized images are skipped unread and reported.
fn tar_images(mut r: impl Read) -> Result<Vec<Candidate>, String> {
    let mut out = Vec::new();
    let mut long_name: Option<String> = None;
    let mut header = [0u8; 512];
    for _ in 0..MAX_ARCHIVE_ENTRIES {
        if !read_block(&mut r, &mut header)? || header.iter().all(|b| *b == 0) {
            return Ok(out);
        }
        let size = entry_size(&header)?;
        let padded = size.div_ceil(512) * 512;
        let kind = header[156];
        let name = long_name.take().unwrap_or_else(|| header_name(&header));
        match kind {
            // GNU long name, pax extended header: they name the next entry.
            b'L' | b'x' if size <= 64 * 1024 => {
                let data = read_exact(&mut r, padded)?;
                let data = &data[..usize::try_from(size).unwrap_or(0)];
                long_name = if kind == b'L' {
                    Some(cstr(data))
                } else {
                    pax_path(data)
                };
            }
            b'0' | 0 => {
                let file_name = name.rsplit('/').next().unwrap_or(&name);
                match shortcode_of(file_name) {
                    Some(code) if size <= MAX_IMAGE_BYTES as u64 => {
                        let mut data = read_exact(&mut r, padded)?;
                        data.truncate(usize::try_from(size).unwrap_or(0));
                        out.push((code.to_owned(), Ok(data)));
                    }
                    Some(code) => {
                        skip(&mut r, padded)?;
                        out.push((code.to_owned(), Err(too_large(size))));
                    }
                    None => skip(&mut r, padded)?,
                }
            }
            _ => skip(&mut r, padded)?,
        }
    }
    Err(format!("more than {MAX_ARCHIVE_ENTRIES} entries"))
}

/// Fills `block`; `false` at the end of the stream (an archive without its end marker).
fn read_block(r: &mut impl Read, block: &mut [u8; 512]) -> Result<bool, String> {
    let mut filled = 0;
    while filled < block.len() {
        match r.read(&mut block[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err("truncated".into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(true)
}

fn read_exact(r: &mut impl Read, n: u64) -> Result<Vec<u8>, String> {
    let mut data = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    r.take(n)
        .read_to_end(&mut data)
        .map_err(|e| e.to_string())?;
    if data.len() as u64 != n {
        return Err("truncated".into());
    }
    Ok(data)
}

fn skip(r: &mut impl Read, n: u64) -> Result<(), String> {
    let copied = std::io::copy(&mut r.take(n), &mut std::io::sink()).map_err(|e| e.to_string())?;
    if copied != n {
        return Err("truncated".into());
    }
    Ok(())
}

/// An entry's size: octal digits (base-256 sizes are for files far past any limit here).
fn entry_size(header: &[u8; 512]) -> Result<u64, String> {
    let field = &header[124..136];
    if field[0] & 0x80 != 0 {
        return Err("an entry is too large".into());
    }
    let digits = cstr(field);
    let digits = digits.trim();
    if digits.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(digits, 8).map_err(|_| "a header is corrupt".to_owned())
}

/// `prefix/name` of a ustar header.
fn header_name(header: &[u8; 512]) -> String {
    let name = cstr(&header[..100]);
    let prefix = if &header[257..262] == b"ustar" {
        cstr(&header[345..500])
    } else {
        String::new()
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    }
}

fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The `path` record of pax extended headers (`LEN path=VALUE\n` lines).
fn pax_path(data: &[u8]) -> Option<String> {
    String::from_utf8_lossy(data).lines().find_map(|line| {
        line.split_once(' ')?
            .1
            .strip_prefix("path=")
            .map(str::to_owned)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, kind: u8, data: &[u8]) -> Vec<u8> {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let size = format!("{:011o}\0", data.len());
        h[124..136].copy_from_slice(size.as_bytes());
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        let mut out = h.to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    #[test]
    fn archives_yield_their_images_by_shortcode() {
        let pax = b"21 path=pack/long.gif\n";
        let mut tar = Vec::new();
        tar.extend(entry("pack/", b'5', b""));
        tar.extend(entry("pack/blob_cat.png", b'0', b"png bytes"));
        tar.extend(entry("pack/README.txt", b'0', b"hello"));
        tar.extend(entry("pack/._blob_cat.png", b'0', b"apple double"));
        tar.extend(entry("PaxHeader", b'x', pax));
        tar.extend(entry("ignored-name", b'0', b"gif bytes"));
        tar.extend(entry("big.webp", b'0', &vec![0u8; MAX_IMAGE_BYTES + 1]));
        tar.extend([0u8; 1024]);
        let found = tar_images(&tar[..]).unwrap();
        let codes: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["blob_cat", "long", "big"]);
        assert_eq!(found[0].1.as_deref().unwrap(), b"png bytes");
        assert_eq!(found[1].1.as_deref().unwrap(), b"gif bytes");
        assert!(found[2].1.as_ref().unwrap_err().contains("too large"));
        // Cut short: an error, never a panic.
        assert!(tar_images(&tar[..700]).is_err());
        assert!(tar_images(&b""[..]).unwrap().is_empty());
    }

    #[test]
    fn file_names_give_shortcodes() {
        assert_eq!(shortcode_of("blob.PNG"), Some("blob"));
        assert_eq!(shortcode_of("a.b.gif"), Some("a.b"));
        assert_eq!(shortcode_of(".hidden.png"), None);
        assert_eq!(shortcode_of("notes.txt"), None);
        assert_eq!(shortcode_of("noext"), None);
    }
}
