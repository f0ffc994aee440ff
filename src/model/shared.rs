//! A list copies share until one of them changes it.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// A `Vec` behind an `Arc`: cloning it is a reference count, and changing it through `&mut`
/// copies it first when another clone still holds it (copy on write). `cilint server` keeps
/// every file's objects and hands layout and the Catalogs a clone of them for each lint, so only
/// the files a lint changes (a kustomize namespace set, a Flux variable substituted) are copied.
/// A run of the command line holds one clone of each: nothing is ever copied.
#[derive(Debug)]
pub struct SharedVec<T>(Arc<Vec<T>>);

impl<T> SharedVec<T> {
    /// Empties the list without copying what another clone still holds.
    pub fn clear(&mut self) {
        match Arc::get_mut(&mut self.0) {
            Some(items) => items.clear(),
            None => self.0 = Arc::default(),
        }
    }
}

/// Two clones of one list are equal without a look at their items.
impl<T: PartialEq> PartialEq for SharedVec<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl<T> Default for SharedVec<T> {
    fn default() -> Self {
        SharedVec(Arc::default())
    }
}

impl<T> Clone for SharedVec<T> {
    fn clone(&self) -> Self {
        SharedVec(Arc::clone(&self.0))
    }
}

impl<T> From<Vec<T>> for SharedVec<T> {
    fn from(items: Vec<T>) -> Self {
        SharedVec(Arc::new(items))
    }
}

impl<T> Deref for SharedVec<T> {
    type Target = Vec<T>;

    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Clone> DerefMut for SharedVec<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        Arc::make_mut(&mut self.0)
    }
}

impl<'a, T> IntoIterator for &'a SharedVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a, T: Clone> IntoIterator for &'a mut SharedVec<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        Arc::make_mut(&mut self.0).iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_is_copied_only_when_changed() {
        let mut a = SharedVec::from(vec![1, 2]);
        let b = a.clone();
        assert!(std::ptr::eq(a.as_ptr(), b.as_ptr()));
        a.push(3);
        assert!(!std::ptr::eq(a.as_ptr(), b.as_ptr()));
        assert_eq!((&a[..], &b[..]), (&[1, 2, 3][..], &[1, 2][..]));
    }

    #[test]
    fn a_list_held_once_is_changed_in_place() {
        let mut a = SharedVec::from(Vec::with_capacity(4));
        a.push(1);
        let before = a.as_ptr();
        for x in &mut a {
            *x += 1;
        }
        assert_eq!((a.as_ptr(), &a[..]), (before, &[2][..]));
    }

    #[test]
    fn clearing_a_shared_list_leaves_the_other_clone_alone() {
        let mut a = SharedVec::from(vec![1]);
        let b = a.clone();
        a.clear();
        assert_eq!((a.len(), &b[..]), (0, &[1][..]));
    }
}
