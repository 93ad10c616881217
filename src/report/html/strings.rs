//! Interned strings: labels and message details repeat across thousands of tunnels, so the page
//! stores each once and refers to it by index.

use std::collections::HashMap;

/// A string table.
#[derive(Debug, Default)]
pub struct Strings {
    index: HashMap<String, usize>,
    list: Vec<String>,
}

impl Strings {
    /// The index of `s`, added on first use.
    pub fn id(&mut self, s: String) -> usize {
        if let Some(&i) = self.index.get(&s) {
            return i;
        }
        let i = self.list.len();
        self.list.push(s.clone());
        self.index.insert(s, i);
        i
    }

    /// The table, in index order.
    pub fn into_vec(self) -> Vec<String> {
        self.list
    }
}
