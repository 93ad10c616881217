//! Key-file loading: the `--keys` files once for all inputs, plus the tables found beside each
//! capture. Keys go to the decoder; the configuration hints of daemon logs travel beside them
//! to the model.

use crate::keys::hints::ConfigHint;
use crate::keys::KeyStore;
use std::path::Path;
use std::sync::Arc;

/// The `--keys` files, loaded.
#[derive(Clone, Debug, Default)]
pub struct KeyFiles {
    /// Their keys.
    pub keys: KeyStore,
    /// The refusals the daemon logs among them explain.
    pub hints: Vec<ConfigHint>,
}

/// What one input decodes with.
#[derive(Clone, Debug, Default)]
pub struct InputKeys {
    /// The `--keys` keys plus those of the tables found beside the capture (`None`: no key).
    pub keys: Option<Arc<KeyStore>>,
    /// The refusals explained by the files found beside the capture (those of `--keys` are in
    /// [`KeyFiles::hints`], added once for all inputs).
    pub hints: Vec<ConfigHint>,
}

/// Load the `--keys` files, once for all inputs and before any input is read: a file that
/// cannot be read or parsed is an error.
pub fn load_key_files(explicit: &[String]) -> Result<KeyFiles, String> {
    let mut files = KeyFiles::default();
    for k in explicit {
        let loaded = files
            .keys
            .load_file(Path::new(k))
            .map_err(|e| format!("--keys {k}: {e}"))?;
        files.hints.extend(loaded.hints);
    }
    Ok(files)
}

/// The keys for one input: the `--keys` keys (loaded by [`load_key_files`]) plus (when `auto`)
/// the key tables found beside the capture. Unreadable auto-discovered tables are reported as
/// warnings and skipped.
pub fn keys_for(path: &str, explicit: &KeyStore, auto: bool, quiet: bool) -> InputKeys {
    let mut store = explicit.clone();
    let mut hints = Vec::new();
    if auto && path != "-" {
        for found in KeyStore::discover_beside(Path::new(path)) {
            match store.load_file(&found) {
                Ok(loaded) => {
                    hints.extend(loaded.hints);
                    if !quiet {
                        eprintln!("ikescope: {path}: using key table {}", found.display());
                    }
                }
                Err(e) => {
                    if !quiet {
                        eprintln!("ikescope: {path}: ignoring key table {}: {e}", found.display());
                    }
                }
            }
        }
    }
    InputKeys {
        keys: (!store.is_empty()).then(|| Arc::new(store)),
        hints,
    }
}
