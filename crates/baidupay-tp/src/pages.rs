//! Pagination that always ends.

use std::future::Future;
use std::pin::Pin;

use baidupay_model::tp::Paged;

use crate::error::Result;

type Fetch<'a, T> =
    Box<dyn FnMut(u64) -> Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>> + Send + 'a>;

/// The pages of a list endpoint, fetched one at a time with [`Pages::next_page`].
///
/// It stops after the page that reaches `total_count` items or `total_page` pages, at an empty
/// page, when the server sends the same page again, and after [`Pages::MAX_PAGES`] pages, so a
/// misbehaving server can never make it loop forever. An error ends it too.
pub struct Pages<'a, T> {
    fetch: Fetch<'a, T>,
    page: u64,
    seen: u64,
    previous: Option<T>,
    done: bool,
}

impl<T> std::fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("page", &self.page)
            .field("seen", &self.seen)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Paged + Clone + PartialEq> Pages<'a, T> {
    /// The most pages ever fetched.
    pub const MAX_PAGES: u64 = 10_000;

    pub(crate) fn new(first_page: u64, fetch: Fetch<'a, T>) -> Self {
        Self {
            fetch,
            page: first_page.max(1),
            seen: 0,
            previous: None,
            done: false,
        }
    }

    /// The next page, or `None` when there are no more.
    pub async fn next_page(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        let page = match (self.fetch)(self.page).await {
            Ok(p) => p,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        if page.is_empty() || self.previous.as_ref() == Some(&page) {
            self.done = true;
            return None;
        }
        self.seen += page.len() as u64;
        let reached_count = page.total_count().is_some_and(|t| self.seen >= t);
        let reached_pages = page.total_page().is_some_and(|t| self.page >= t);
        self.page += 1;
        if reached_count || reached_pages || self.page > Self::MAX_PAGES {
            self.done = true;
        }
        self.previous = Some(page.clone());
        Some(Ok(page))
    }

    /// Every remaining page.
    ///
    /// # Errors
    /// The first error.
    pub async fn collect(mut self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        while let Some(p) = self.next_page().await {
            out.push(p?);
        }
        Ok(out)
    }
}
