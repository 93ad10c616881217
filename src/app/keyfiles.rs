//! Key-file loading: the `--keys` files once for all inputs, plus the tables found beside each
//! capture.

use crate::keys::KeyStore;
use std::path::Path;
use std::sync::Arc;

/// Load the `--keys` files, once for all inputs and before any input is read: a file that
/// cannot be read or parsed is an error.
pub fn load_key_files(explicit: &[String]) -> Result<KeyStore, String> {
    let mut store = KeyStore::new();
    for k in explicit {
        store
            .load_path(Path::new(k))
            .map_err(|e| format!("--keys {k}: {e}"))?;
    }
    Ok(store)
}

/// The keys for one input: the `--keys` files (loaded by [`load_key_files`]) plus (when `auto`)
/// the key tables found beside the capture. Unreadable auto-discovered tables are reported as
/// warnings and skipped.
pub fn keys_for(path: &str, explicit: &KeyStore, auto: bool, quiet: bool) -> Option<Arc<KeyStore>> {
    let mut store = explicit.clone();
    if auto && path != "-" {
        for found in KeyStore::discover_beside(Path::new(path)) {
            match store.load_path(&found) {
                Ok(_) => {
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
    (!store.is_empty() || !store.hints.is_empty()).then(|| Arc::new(store))
}
