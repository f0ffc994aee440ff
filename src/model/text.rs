//! The strings objects keep, interned: one pointer each, every distinct string held once for the
//! whole process. Names, namespaces, kinds, API versions and label keys repeat across the
//! objects of a tree, and the objects are most of what `cilint server` holds between edits.
//!
//! An interned string is never freed. What a tree names is bounded by the tree; in the editor,
//! each edit adds only the strings it writes that were not already there.

use std::hash::{BuildHasher, Hash, Hasher};
use std::ptr::NonNull;
use std::sync::{LazyLock, Mutex};

use hashbrown::HashTable;

/// An interned string: a pointer to its length (4 bytes, little-endian) followed by its bytes.
#[derive(Clone, Copy)]
pub struct Text(NonNull<u8>);

// SAFETY: a Text points at bytes that are written once, before the Text exists, and never
// changed or freed.
unsafe impl Send for Text {}
// SAFETY: as above: shared references only ever read them.
unsafe impl Sync for Text {}

/// The empty string's length and no bytes.
static EMPTY: [u8; 4] = [0; 4];

/// Locks taken by the loading threads at once are rarely the same one.
const SHARDS: usize = 64;

type Shard = Mutex<HashTable<Text>>;

static INTERNED: LazyLock<Box<[Shard]>> =
    LazyLock::new(|| (0..SHARDS).map(|_| Mutex::new(HashTable::new())).collect());

fn hash_of(s: &str) -> u64 {
    foldhash::fast::FixedState::default().hash_one(s)
}

impl Text {
    /// `s`, interned.
    pub fn new(s: &str) -> Text {
        if s.is_empty() {
            return Text::default();
        }
        let hash = hash_of(s);
        let shard = &INTERNED[(hash >> 58) as usize % SHARDS];
        // A thread that panicked while interning left the table as it was before or after one
        // insertion: still sound.
        let mut table = shard.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = table.find(hash, |t| t.as_str() == s) {
            return *found;
        }
        let text = Text::leak(s);
        table.insert_unique(hash, text, |t| hash_of(t.as_str()));
        text
    }

    /// A copy of `s`, length first, that lives as long as the process.
    fn leak(s: &str) -> Text {
        let len = u32::try_from(s.len()).expect("no file cilint reads holds 4 GiB in one string");
        let mut bytes = Vec::with_capacity(4 + s.len());
        bytes.extend_from_slice(&len.to_le_bytes());
        bytes.extend_from_slice(s.as_bytes());
        let leaked: &'static mut [u8] = Box::leak(bytes.into_boxed_slice());
        Text(NonNull::from(leaked).cast())
    }

    pub fn as_str(&self) -> &'static str {
        // SAFETY: the pointer is `EMPTY` or a leaked copy made by `leak`: four bytes of length,
        // then that many bytes of a `str`, never freed.
        unsafe {
            let at = self.0.as_ptr();
            let len = u32::from_le_bytes(*(at as *const [u8; 4])) as usize;
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(at.add(4), len))
        }
    }
}

impl Default for Text {
    fn default() -> Text {
        Text(NonNull::from(&EMPTY).cast())
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::new(&s)
    }
}

/// By address: `new` makes each string once (under its shard's lock), and gives the empty
/// string as `default` does, so two Texts hold the same string exactly when they are one pointer.
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.0 == other.0
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// As strings: never by address, which differs from run to run.
impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// As the string: a map keyed by Text is looked up by `&str`.
impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_string_is_one_pointer_and_reads_back_as_written() {
        let a = Text::new("app.kubernetes.io/name");
        let b = Text::new(&String::from("app.kubernetes.io/name"));
        assert_eq!(a.0, b.0);
        assert_eq!(a, "app.kubernetes.io/name");
        assert_eq!(Text::new("é/ü"), "é/ü");
        assert_eq!(Text::new(""), Text::default());
        assert_eq!(Text::default().as_str(), "");
        assert_ne!(Text::new("a"), Text::new("b"));
    }

    #[test]
    fn ordered_and_hashed_as_strings() {
        let mut names: Vec<Text> = ["web", "api", "", "db"].map(Text::new).to_vec();
        names.sort();
        assert_eq!(names, ["", "api", "db", "web"]);
        let hash = |h: &dyn Fn(&mut std::hash::DefaultHasher)| {
            let mut s = std::hash::DefaultHasher::new();
            h(&mut s);
            s.finish()
        };
        assert_eq!(
            hash(&|s| Text::new("web").hash(s)),
            hash(&|s| "web".hash(s))
        );
    }

    #[test]
    fn threads_interning_one_string_get_one_pointer() {
        let texts: Vec<Text> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| Text::new("shared-across-threads")))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(texts.iter().all(|t| t.0 == texts[0].0));
    }
}
