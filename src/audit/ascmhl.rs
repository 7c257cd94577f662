//! Writer for an ASC MHL v2.0 history (the `ascmhl/` folder) of a package folder.
//!
//! Produces the same layout as the reference tool `ascmhl create <root> -h xxh128`
//! (PyPI `ascmhl` 1.2):
//!
//! ```text
//! <root>/ascmhl/0001_<foldername>_<YYYY-MM-DD_HHMMSS>Z.mhl   manifest (urn:ASC:MHL:v2.0)
//! <root>/ascmhl/ascmhl_chain.xml                           chain    (urn:ASC:MHL:DIRECTORY:v2.0)
//! ```
//!
//! The manifest lists every file with `action="original"` xxh128 hashes, plus
//! directory (content + structure) hashes for every folder and the root hash,
//! computed exactly like ascmhl does, so both `ascmhl-debug verify <root>` and
//! `ascmhl-debug verify -dh <root>` pass. The chain file references the
//! manifest by its C4 id (SHA-512, base58, "c4" prefix, 90 chars).
//!
//! Rules that ascmhl's verifier enforces and that this module checks up front:
//! * every regular file below the root (except `ascmhl/` and `.DS_Store`, the
//!   default ignore patterns written into the manifest) must be listed, or
//!   verify fails with "New files not referenced in the ASC MHL history";
//! * hashes are compared as strings, so they are written as lowercase hex.
//!
//! Dependencies: `chrono`, `sha2` (C4 ids), `xxhash-rust` with feature `xxh3`
//! (directory hashes, and the [`xxh128_file`] helper).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use sha2::{Digest, Sha512};
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MhlFile {
    /// Relative to the package root, '/' separated, e.g. "clips/abc.mp4".
    pub rel_path: String,
    /// File size in bytes; must match the file on disk.
    pub bytes: u64,
    /// XXH3-128 as 32 hex digits, canonical (big-endian) order, i.e.
    /// `format!("{:032x}", xxh3_128(data))` == Python `xxhash.xxh3_128(data).hexdigest()`.
    /// Uppercase is accepted and written as lowercase.
    pub xxh128: String,
    /// Last modification time (informational; ascmhl does not check it).
    pub modified: DateTime<Utc>,
}

/// Who/what created the generation (`<creatorinfo>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MhlCreator {
    pub tool_name: String,
    pub tool_version: String,
    pub host_name: String,
    pub author: Option<String>,
    pub comment: Option<String>,
}

/// Name of the history folder inside the package root.
pub const ASCMHL_DIR: &str = "ascmhl";
/// Name of the chain file inside [`ASCMHL_DIR`].
pub const CHAIN_FILE: &str = "ascmhl_chain.xml";
/// ascmhl's default ignore patterns (gitwildmatch). Written into the manifest.
const IGNORE_PATTERNS: [&str; 3] = [".DS_Store", "ascmhl", "ascmhl/"];
/// Names that the ignore patterns match at any depth.
const IGNORED_NAMES: [&str; 2] = [".DS_Store", "ascmhl"];

/// Writes `<package_root>/ascmhl/0001_<foldername>_<timestamp>.mhl` and
/// `<package_root>/ascmhl/ascmhl_chain.xml`; returns the path of the `.mhl` file.
///
/// `files` must list every regular file below `package_root` (outside
/// `ascmhl/`, ignoring `.DS_Store`) with its size and xxh128; this is checked
/// against the disk (sizes and the set of names, not the hashes) and an
/// `InvalidInput`/`InvalidData` error is returned otherwise. Fails with
/// `AlreadyExists` if `ascmhl/` already exists and is not empty (only a first
/// generation is written). Symbolic links in the package are rejected.
pub fn write_generation(
    package_root: &Path,
    files: &[MhlFile],
    creator: &MhlCreator,
    now: DateTime<Utc>,
) -> io::Result<PathBuf> {
    let entries = normalize_entries(files)?;
    let disk_dirs = check_against_disk(package_root, &entries)?;

    let ascmhl_dir = package_root.join(ASCMHL_DIR);
    if ascmhl_dir.exists() && fs::read_dir(&ascmhl_dir)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists and is not empty", ascmhl_dir.display()),
        ));
    }

    let canonical = package_root.canonicalize()?;
    let folder_name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string());
    let file_name = format!(
        "0001_{}_{}.mhl",
        folder_name,
        now.format("%Y-%m-%d_%H%M%SZ")
    );

    let manifest = render_manifest(package_root, &entries, &disk_dirs, creator, now)?;
    let chain = render_chain(&file_name, &c4_id(manifest.as_bytes()))?;

    fs::create_dir_all(&ascmhl_dir)?;
    let mhl_path = ascmhl_dir.join(&file_name);
    write_new_file(&mhl_path, manifest.as_bytes())?;
    write_new_file(&ascmhl_dir.join(CHAIN_FILE), chain.as_bytes())?;
    Ok(mhl_path)
}

/// XXH3-128 of a file's content as ascmhl writes it (lowercase hex, 32 chars).
pub fn xxh128_file(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:032x}", hasher.digest128()))
}

/// C4 id (SMPTE ST 2114) of `data`: SHA-512 read as a big-endian integer,
/// base58 (C4 alphabet), left-padded with '1' to 88 digits, prefixed "c4".
///
/// The C4 alphabet is Bitcoin's, which bs58 uses; bs58 writes each leading zero byte as a '1'
/// (the zero digit), so padding its output with '1' on the left gives the same number in 88 digits.
pub fn c4_id(data: &[u8]) -> String {
    let digits = bs58::encode(Sha512::digest(data)).into_string();
    format!("c4{digits:1>88}")
}

// ---------------------------------------------------------------------------

struct Entry<'a> {
    rel_path: &'a str,
    bytes: u64,
    hex: String,
    hash: [u8; 16],
    modified: DateTime<Utc>,
}

fn invalid_input(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn normalize_entries(files: &[MhlFile]) -> io::Result<Vec<Entry<'_>>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let p = f.rel_path.as_str();
        let bad_component = p
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == ".." || IGNORED_NAMES.contains(&c));
        if bad_component || p.chars().any(|c| c.is_control()) {
            return Err(invalid_input(format!(
                "invalid manifest path {p:?} (must be relative, '/'-separated, without \
                 '.', '..', empty, control-character, 'ascmhl' or '.DS_Store' components)"
            )));
        }
        if !seen.insert(p) {
            return Err(invalid_input(format!("duplicate manifest path {p:?}")));
        }
        let hex = f.xxh128.to_ascii_lowercase();
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid_input(format!(
                "invalid xxh128 {:?} for {p:?}",
                f.xxh128
            )));
        }
        let hash = u128::from_str_radix(&hex, 16)
            .map_err(|e| invalid_input(format!("invalid xxh128 for {p:?}: {e}")))?
            .to_be_bytes();
        out.push(Entry {
            rel_path: p,
            bytes: f.bytes,
            hex,
            hash,
            modified: f.modified,
        });
    }
    out.sort_by(|a, b| a.rel_path.cmp(b.rel_path));
    Ok(out)
}

/// Checks sizes and that the listed files are exactly the files on disk (as
/// ascmhl's verify sees them). Returns the directories found on disk (relative
/// paths), so that empty folders get directory hashes like ascmhl makes them.
fn check_against_disk(root: &Path, entries: &[Entry<'_>]) -> io::Result<Vec<String>> {
    for e in entries {
        let meta = fs::symlink_metadata(root.join(e.rel_path))?;
        if !meta.is_file() {
            return Err(invalid_input(format!(
                "{} is not a regular file",
                e.rel_path
            )));
        }
        if meta.len() != e.bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: size on disk {} != listed {}",
                    e.rel_path,
                    meta.len(),
                    e.bytes
                ),
            ));
        }
    }
    let mut on_disk = Vec::new();
    let mut dirs = Vec::new();
    walk(root, "", &mut on_disk, &mut dirs)?;
    let listed: BTreeSet<&str> = entries.iter().map(|e| e.rel_path).collect();
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|p| !listed.contains(p.as_str()))
        .collect();
    if !unlisted.is_empty() {
        return Err(invalid_input(format!(
            "files in the package are missing from the manifest (ascmhl verify would \
             report them as new files): {unlisted:?}"
        )));
    }
    Ok(dirs)
}

fn walk(
    dir: &Path,
    prefix: &str,
    files: &mut Vec<String>,
    dirs: &mut Vec<String>,
) -> io::Result<()> {
    for item in fs::read_dir(dir)? {
        let item = item?;
        let name = item.file_name().into_string().map_err(|n| {
            invalid_input(format!("non-UTF-8 file name {n:?} in {}", dir.display()))
        })?;
        if IGNORED_NAMES.contains(&name.as_str()) {
            continue;
        }
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let ft = item.file_type()?;
        if ft.is_symlink() {
            return Err(invalid_input(format!("symbolic link in package: {rel}")));
        } else if ft.is_dir() {
            walk(&item.path(), &rel, files, dirs)?;
            dirs.push(rel);
        } else {
            files.push(rel);
        }
    }
    Ok(())
}

#[derive(Default)]
struct DirNode<'a> {
    files: BTreeMap<String, &'a Entry<'a>>,
    dirs: BTreeMap<String, DirNode<'a>>,
}

fn build_tree<'a>(entries: &'a [Entry<'a>], extra_dirs: &[String]) -> io::Result<DirNode<'a>> {
    let mut root = DirNode::default();
    for d in extra_dirs {
        let mut node = &mut root;
        for comp in d.split('/') {
            node = node.dirs.entry(comp.to_string()).or_default();
        }
    }
    for e in entries {
        let mut comps: Vec<&str> = e.rel_path.split('/').collect();
        let name = comps.pop().expect("split yields at least one item");
        let mut node = &mut root;
        for comp in comps {
            node = node.dirs.entry(comp.to_string()).or_default();
        }
        node.files.insert(name.to_string(), e);
    }
    fn check(node: &DirNode<'_>) -> io::Result<()> {
        for (name, sub) in &node.dirs {
            if node.files.contains_key(name) {
                return Err(invalid_input(format!(
                    "{name:?} is listed both as file and folder"
                )));
            }
            check(sub)?;
        }
        Ok(())
    }
    check(&root)?;
    Ok(root)
}

fn xxh128_bytes(data: &[u8]) -> [u8; 16] {
    xxh3_128(data).to_be_bytes()
}

/// ascmhl `hash_of_hash_list`: sort the hex strings (== sorting the bytes),
/// hash the concatenated raw bytes.
fn hash_of_hash_list(mut hashes: Vec<[u8; 16]>) -> [u8; 16] {
    hashes.sort_unstable();
    let mut h = Xxh3::new();
    for x in &hashes {
        h.update(x);
    }
    h.digest128().to_be_bytes()
}

fn hex(h: &[u8; 16]) -> String {
    format!("{:032x}", u128::from_be_bytes(*h))
}

/// The manifest's XML writer (quick-xml), indented by two spaces as ascmhl writes its own.
type Xml = Writer<Vec<u8>>;

/// One entry of the manifest's `<hashes>`: a file, or a folder with its hashes.
enum Listed<'a> {
    File(&'a Entry<'a>),
    Folder {
        rel: String,
        modified: Option<String>,
        content: [u8; 16],
        structure: [u8; 16],
    },
}

/// Lists `node` in ascmhl's post-order (sub-folders first, then this folder's files, then this
/// folder) and returns (content hash, structure hash) of `node`.
fn list_dir<'a>(
    root: &Path,
    rel: &str,
    node: &'a DirNode<'a>,
    out: &mut Vec<Listed<'a>>,
) -> io::Result<([u8; 16], [u8; 16])> {
    let mut content = Vec::new();
    let mut structure = Vec::new();
    for (name, sub) in &node.dirs {
        let sub_rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let (c, s) = list_dir(root, &sub_rel, sub, out)?;
        content.push(c);
        structure.push(xxh128_bytes(&[name.as_bytes(), &s[..]].concat()));
    }
    for (name, e) in &node.files {
        content.push(e.hash);
        structure.push(xxh128_bytes(&[name.as_bytes(), &e.hash[..]].concat()));
        out.push(Listed::File(e));
    }
    let c = hash_of_hash_list(content);
    let s = hash_of_hash_list(structure);
    if !rel.is_empty() {
        let modified = fs::metadata(root.join(rel))
            .and_then(|m| m.modified())
            .map(|t| iso(DateTime::<Utc>::from(t)))
            .ok();
        out.push(Listed::Folder {
            rel: rel.to_string(),
            modified,
            content: c,
            structure: s,
        });
    }
    Ok((c, s))
}

/// Writes the `<hash>`/`<directoryhash>` elements of `listed`.
fn write_listed(w: &mut Xml, listed: &[Listed<'_>], hashdate: &str) -> io::Result<()> {
    for item in listed {
        match item {
            Listed::File(e) => {
                let (size, modified) = (e.bytes.to_string(), iso(e.modified));
                w.create_element("hash").write_inner_content(|w| {
                    w.create_element("path")
                        .with_attribute(("size", size.as_str()))
                        .with_attribute(("lastmodificationdate", modified.as_str()))
                        .write_text_content(text(e.rel_path)?)?;
                    w.create_element("xxh128")
                        .with_attribute(("action", "original"))
                        .with_attribute(("hashdate", hashdate))
                        .write_text_content(BytesText::new(&e.hex))?;
                    Ok(())
                })?;
            }
            Listed::Folder {
                rel,
                modified,
                content,
                structure,
            } => {
                w.create_element("directoryhash").write_inner_content(|w| {
                    let path = w.create_element("path");
                    match modified {
                        Some(m) => path.with_attribute(("lastmodificationdate", m.as_str())),
                        None => path,
                    }
                    .write_text_content(text(rel)?)?;
                    content_structure(w, content, structure, hashdate)
                })?;
            }
        }
    }
    Ok(())
}

fn content_structure(w: &mut Xml, c: &[u8; 16], s: &[u8; 16], hashdate: &str) -> io::Result<()> {
    for (name, h) in [("content", c), ("structure", s)] {
        w.create_element(name).write_inner_content(|w| {
            w.create_element("xxh128")
                .with_attribute(("hashdate", hashdate))
                .write_text_content(BytesText::new(&hex(h)))?;
            Ok(())
        })?;
    }
    Ok(())
}

fn iso(t: DateTime<Utc>) -> String {
    // Same shape as ascmhl: 2026-11-24T09:15:04+00:00
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn render_manifest(
    root: &Path,
    entries: &[Entry<'_>],
    extra_dirs: &[String],
    creator: &MhlCreator,
    now: DateTime<Utc>,
) -> io::Result<String> {
    let now_s = iso(now);
    let tree = build_tree(entries, extra_dirs)?;
    let mut listed = Vec::new();
    let (root_c, root_s) = list_dir(root, "", &tree, &mut listed)?;

    let mut x = Writer::new_with_indent(Vec::new(), b' ', 2);
    x.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    x.create_element("hashlist")
        .with_attribute(("version", "2.0"))
        .with_attribute(("xmlns", "urn:ASC:MHL:v2.0"))
        .write_inner_content(|w| {
            w.create_element("creatorinfo").write_inner_content(|w| {
                w.create_element("creationdate")
                    .write_text_content(BytesText::new(&now_s))?;
                w.create_element("hostname")
                    .write_text_content(text(&creator.host_name)?)?;
                w.create_element("tool")
                    .with_attribute(("version", attribute(&creator.tool_version)?))
                    .write_text_content(text(&creator.tool_name)?)?;
                if let Some(author) = &creator.author {
                    w.create_element("author")
                        .write_text_content(text(author)?)?;
                }
                if let Some(comment) = &creator.comment {
                    w.create_element("comment")
                        .write_text_content(text(comment)?)?;
                }
                Ok(())
            })?;
            w.create_element("processinfo").write_inner_content(|w| {
                w.create_element("process")
                    .write_text_content(BytesText::new("in-place"))?;
                w.create_element("roothash")
                    .write_inner_content(|w| content_structure(w, &root_c, &root_s, &now_s))?;
                w.create_element("ignore").write_inner_content(|w| {
                    for p in IGNORE_PATTERNS {
                        w.create_element("pattern")
                            .write_text_content(BytesText::new(p))?;
                    }
                    Ok(())
                })?;
                Ok(())
            })?;
            // The XSD requires at least one entry inside <hashes>; omit it when empty.
            if !listed.is_empty() {
                w.create_element("hashes")
                    .write_inner_content(|w| write_listed(w, &listed, &now_s))?;
            }
            Ok(())
        })?;
    finish(x)
}

fn render_chain(mhl_file_name: &str, c4: &str) -> io::Result<String> {
    let mut x = Writer::new_with_indent(Vec::new(), b' ', 2);
    x.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    x.create_element("ascmhldirectory")
        .with_attribute(("xmlns", "urn:ASC:MHL:DIRECTORY:v2.0"))
        .write_inner_content(|w| {
            w.create_element("hashlist")
                .with_attribute(("sequencenr", "1"))
                .write_inner_content(|w| {
                    w.create_element("path")
                        .write_text_content(text(mhl_file_name)?)?;
                    w.create_element("c4")
                        .write_text_content(BytesText::new(c4))?;
                    Ok(())
                })?;
            Ok(())
        })?;
    finish(x)
}

fn finish(x: Xml) -> io::Result<String> {
    let mut bytes = x.into_inner();
    bytes.push(b'\n');
    String::from_utf8(bytes).map_err(|e| invalid_input(e.to_string()))
}

/// Text for an element, escaped by quick-xml; characters XML 1.0 cannot carry at all are an error.
fn text(s: &str) -> io::Result<BytesText<'_>> {
    xml_chars(s)?;
    Ok(BytesText::new(s))
}

/// An attribute value, checked: quick-xml escapes it (`& < > " '`, and a line break or tab as a
/// character reference, which a parser would otherwise read back as a space).
fn attribute(s: &str) -> io::Result<&str> {
    xml_chars(s)?;
    Ok(s)
}

fn xml_chars(s: &str) -> io::Result<()> {
    match s.chars().find(|&c| {
        ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
            || c == '\u{FFFE}'
            || c == '\u{FFFF}'
    }) {
        Some(c) => Err(invalid_input(format!(
            "character {c:?} cannot be written to XML"
        ))),
        None => Ok(()),
    }
}

fn write_new_file(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    //! Three of these need the reference tool (`pip install ascmhl==1.2`, which `./dev test`
    //! puts under target/pytools): `ascmhl` (create/diff/flatten/info) and `ascmhl-debug`
    //! (verify/xsd-schema-check/hash). Plain `cargo test` without it says so and skips them.
    use super::*;
    use std::process::{Command, Output};
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(tag: &str) -> TempDir {
            static N: AtomicUsize = AtomicUsize::new(0);
            let p = std::env::temp_dir().join(format!(
                "camdock-ascmhl-{}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst),
                tag
            ));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// The reference tool's folder (`ascmhl`, `ascmhl-debug`), or None and one skip line under
    /// plain `cargo test` without it (`./dev test` installs it, and fails these if it is missing).
    fn reference_tool() -> Option<PathBuf> {
        camdock_testkit::ascmhl()
            .find("the ASC MHL reference checks (src/audit/ascmhl.rs)")
            .and_then(|p| p.parent().map(Path::to_path_buf))
    }

    fn run(exe: &str, args: &[&str]) -> Output {
        let exe = reference_tool()
            .expect("each test checks for the tool first")
            .join(exe);
        let out = Command::new(&exe)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} ({e})", exe.display()));
        eprintln!(
            "$ {} {}\n[exit {:?}]\n{}{}",
            exe.display(),
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
    fn ascmhl(args: &[&str]) -> Output {
        run("ascmhl", args)
    }
    fn ascmhl_debug(args: &[&str]) -> Output {
        run("ascmhl-debug", args)
    }
    fn text(o: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    }

    fn creator() -> MhlCreator {
        MhlCreator {
            tool_name: "camdock".into(),
            tool_version: "0.1.0 \"test\"".into(),
            host_name: "host<1>".into(),
            author: Some("Jane & John".into()),
            comment: Some("evidence export\nline 2 <ok>".into()),
        }
    }

    /// A package like camdock's: clips plus checksum/custody files at the root.
    fn make_package(root: &Path) -> Vec<MhlFile> {
        let mut big = vec![0u8; 2_500_000];
        let mut rng =
            <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0x9E37_79B9_7F4A_7C15);
        rand::RngCore::fill_bytes(&mut rng, &mut big);
        let content: Vec<(&str, Vec<u8>)> = vec![
            ("clips/abc.mp4", big),
            ("clips/cam 2 & <b>.mp4", b"second clip".to_vec()),
            ("clips/night/ü-übung.mov", b"third clip, nested".to_vec()),
            ("SHA256SUMS", b"deadbeef  clips/abc.mp4\n".to_vec()),
            ("B3SUMS", b"cafebabe  clips/abc.mp4\n".to_vec()),
            ("custody.json", b"{\"custody\":[]}\n".to_vec()),
            ("LABEL.txt", b"CASE 42\n".to_vec()),
        ];
        let mut files = Vec::new();
        for (rel, data) in content {
            let p = root.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, &data).unwrap();
            let meta = fs::metadata(&p).unwrap();
            files.push(MhlFile {
                rel_path: rel.to_string(),
                bytes: meta.len(),
                xxh128: xxh128_file(&p).unwrap(),
                modified: meta.modified().unwrap().into(),
            });
        }
        files
    }

    fn extract_roothash(mhl: &str) -> (String, String) {
        let start = mhl.find("<roothash>").expect("roothash");
        let end = mhl.find("</roothash>").unwrap();
        let vals: Vec<String> = mhl[start..end]
            .split("<xxh128")
            .skip(1)
            .map(|s| s[s.find('>').unwrap() + 1..s.find("</xxh128>").unwrap()].to_string())
            .collect();
        assert_eq!(vals.len(), 2);
        (vals[0].clone(), vals[1].clone())
    }

    #[test]
    fn xxh128_hex_matches_python_xxhash() {
        // python: xxhash.xxh3_128(b"hello world\n").hexdigest()
        assert_eq!(
            format!("{:032x}", xxh3_128(b"hello world\n")),
            "eefac9d87100cd1336b2e733a5484425"
        );
    }

    #[test]
    fn c4_matches_ascmhl() {
        // `ascmhl-debug hash -h c4` of a file containing "hello world\n"
        assert_eq!(
            c4_id(b"hello world\n"),
            "c45PDQdgo41nG9RopnFaMCwBng3fnziEXcJEdPpFh8JeTeLXkHHAji8Zx8fwbwtBV5paRGPUZyrN5yhWLMrmfGyUNN"
        );
        assert_eq!(c4_id(b"").len(), 90);
    }

    #[test]
    fn escaping() {
        let chain = render_chain("a&b<c>\"d\".mhl", "c4x").unwrap();
        assert!(
            chain.contains("<path>a&amp;b&lt;c&gt;&quot;d&quot;.mhl</path>"),
            "{chain}"
        );
        let mut w = Writer::new(Vec::new());
        w.create_element("tool")
            .with_attribute(("version", attribute("a\"b\nc").unwrap()))
            .write_empty()
            .unwrap();
        assert_eq!(
            String::from_utf8(w.into_inner()).unwrap(),
            "<tool version=\"a&quot;b&#10;c\"/>"
        );
        assert!(super::text("bell\u{7}").is_err());
        assert!(attribute("bell\u{7}").is_err());
    }

    #[test]
    fn ascmhl_verify_accepts_and_detects_tampering() {
        if reference_tool().is_none() {
            return;
        }
        let tmp = TempDir::new("verify");
        let pkg = tmp.0.join("pkg-0001");
        let files = make_package(&pkg);
        let now = Utc::now();
        let mhl = write_generation(&pkg, &files, &creator(), now).unwrap();
        let name = mhl.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("0001_pkg-0001_") && name.ends_with("Z.mhl"),
            "{name}"
        );
        assert!(pkg.join("ascmhl/ascmhl_chain.xml").is_file());
        let pkg_s = pkg.to_str().unwrap();

        // files + chain (C4) verification
        let out = ascmhl_debug(&["verify", pkg_s]);
        assert!(
            out.status.success(),
            "ascmhl-debug verify rejected the package:\n{}",
            text(&out)
        );
        assert!(!text(&out).contains("ERROR"));

        // directory hashes (a root mismatch is only logged, so check the log)
        let out = ascmhl_debug(&["verify", "-dh", "-v", pkg_s]);
        let t = text(&out);
        assert!(out.status.success(), "verify -dh failed:\n{t}");
        assert!(!t.contains("ERROR") && !t.contains("mismatch"), "{t}");
        assert!(t.contains("verification of root folder   OK"), "{t}");
        assert!(
            t.contains("verification of folder        clips/night OK"),
            "{t}"
        );
        assert!(t.contains("verification of folder        clips OK"), "{t}");

        // diff (presence only) and info
        let out = ascmhl(&["diff", pkg_s]);
        assert!(out.status.success(), "ascmhl diff failed:\n{}", text(&out));
        let out = ascmhl(&["info", "-v", pkg_s]);
        let t = text(&out);
        assert!(out.status.success(), "ascmhl info failed:\n{t}");
        assert!(t.contains("Generation 1 ("), "{t}");
        assert!(t.contains("camdock 0.1.0"), "{t}");

        // a second generation is refused
        let err = write_generation(&pkg, &files, &creator(), now).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);

        // tamper: flip one byte (same size) -> exit 11
        let victim = pkg.join("clips/abc.mp4");
        let mut data = fs::read(&victim).unwrap();
        data[1000] ^= 0x01;
        fs::write(&victim, &data).unwrap();
        let out = ascmhl_debug(&["verify", pkg_s]);
        assert_eq!(
            out.status.code(),
            Some(11),
            "tampered file not detected:\n{}",
            text(&out)
        );
        assert!(
            text(&out).contains("hash mismatch        for clips/abc.mp4"),
            "{}",
            text(&out)
        );
        data[1000] ^= 0x01;
        fs::write(&victim, &data).unwrap();
        assert!(ascmhl_debug(&["verify", pkg_s]).status.success());

        // an extra, unlisted file -> exit 21
        fs::write(pkg.join("NOTES.txt"), b"late addition").unwrap();
        let out = ascmhl_debug(&["verify", pkg_s]);
        assert_eq!(out.status.code(), Some(21), "{}", text(&out));
        fs::remove_file(pkg.join("NOTES.txt")).unwrap();

        // a missing file -> exit 10
        fs::remove_file(pkg.join("LABEL.txt")).unwrap();
        let out = ascmhl_debug(&["verify", pkg_s]);
        assert_eq!(out.status.code(), Some(10), "{}", text(&out));
        fs::write(pkg.join("LABEL.txt"), b"CASE 42\n").unwrap();

        // a modified manifest -> exit 31 (C4 in the chain no longer matches)
        let mut m = fs::read_to_string(&mhl).unwrap();
        m = m.replace("evidence export", "evidence exporT");
        fs::write(&mhl, m).unwrap();
        let out = ascmhl_debug(&["verify", pkg_s]);
        assert_eq!(out.status.code(), Some(31), "{}", text(&out));
    }

    #[test]
    fn hashes_match_ascmhl_create() {
        if reference_tool().is_none() {
            return;
        }
        // Same content, generated by ascmhl itself: root content/structure
        // hashes and per-file hashes must be identical to ours.
        let tmp = TempDir::new("create");
        let ours = tmp.0.join("ours");
        let theirs = tmp.0.join("theirs");
        let files = make_package(&ours);
        make_package(&theirs);
        fs::create_dir_all(ours.join("empty/dir")).unwrap();
        fs::create_dir_all(theirs.join("empty/dir")).unwrap();
        let mhl = write_generation(&ours, &files, &creator(), Utc::now()).unwrap();
        let out = ascmhl(&["create", "-h", "xxh128", theirs.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "ascmhl create failed:\n{}",
            text(&out)
        );
        let their_mhl = fs::read_dir(theirs.join("ascmhl"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "mhl"))
            .unwrap();
        let ours_xml = fs::read_to_string(&mhl).unwrap();
        let theirs_xml = fs::read_to_string(&their_mhl).unwrap();
        assert_eq!(extract_roothash(&ours_xml), extract_roothash(&theirs_xml));
        for f in &files {
            let needle = format!(">{}</xxh128>", f.xxh128);
            assert!(
                theirs_xml.contains(&needle) && ours_xml.contains(&needle),
                "{}",
                f.rel_path
            );
        }
        let out = ascmhl_debug(&["verify", "-dh", "-v", ours.to_str().unwrap()]);
        assert!(
            out.status.success() && !text(&out).contains("ERROR"),
            "{}",
            text(&out)
        );
        assert!(text(&out).contains("verification of folder        empty/dir OK"));
    }

    #[test]
    fn rejects_unlisted_and_inconsistent_files() {
        if reference_tool().is_none() {
            return;
        }
        let tmp = TempDir::new("reject");
        let pkg = tmp.0.join("pkg");
        let mut files = make_package(&pkg);
        let now = Utc::now();

        let last = files.pop().unwrap(); // LABEL.txt not listed
        let err = write_generation(&pkg, &files, &creator(), now).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("LABEL.txt"), "{err}");
        files.push(last);

        let mut wrong = files.clone();
        wrong[0].bytes += 1;
        let err = write_generation(&pkg, &wrong, &creator(), now).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        let mut wrong = files.clone();
        wrong[0].rel_path = "../escape".into();
        assert!(write_generation(&pkg, &wrong, &creator(), now).is_err());

        let mut dup = files.clone();
        dup.push(files[0].clone());
        assert!(write_generation(&pkg, &dup, &creator(), now).is_err());

        assert!(!pkg.join(ASCMHL_DIR).exists(), "nothing written on error");

        // uppercase hex is accepted and normalised
        let mut upper = files.clone();
        for f in &mut upper {
            f.xxh128 = f.xxh128.to_uppercase();
        }
        write_generation(&pkg, &upper, &creator(), now).unwrap();
        let out = ascmhl_debug(&["verify", pkg.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out));
    }
}
