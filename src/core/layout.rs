//! Where each pane sits on the screen. Shared by `update` (which needs page heights for
//! scrolling) and the renderer, so both always agree.

use crate::keys::Scope;
use ratatui::layout::Rect;

/// Below this width or height, only the focused pane is shown.
pub const MIN_SPLIT_WIDTH: u16 = 80;
pub const MIN_SPLIT_HEIGHT: u16 = 16;

/// The three panes, in the order Tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Buckets,
    Objects,
    Versions,
}

impl Pane {
    pub fn scope(self) -> Scope {
        match self {
            Pane::Buckets => Scope::Buckets,
            Pane::Objects => Scope::Objects,
            Pane::Versions => Scope::Versions,
        }
    }

    pub(crate) fn next(self) -> Pane {
        match self {
            Pane::Buckets => Pane::Objects,
            Pane::Objects => Pane::Versions,
            Pane::Versions => Pane::Buckets,
        }
    }

    pub(crate) fn previous(self) -> Pane {
        match self {
            Pane::Buckets => Pane::Versions,
            Pane::Objects => Pane::Buckets,
            Pane::Versions => Pane::Objects,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub title: Rect,
    pub buckets: Option<Rect>,
    pub objects: Option<Rect>,
    pub versions: Option<Rect>,
    pub status: Rect,
}

impl Areas {
    pub fn pane(&self, pane: Pane) -> Option<Rect> {
        match pane {
            Pane::Buckets => self.buckets,
            Pane::Objects => self.objects,
            Pane::Versions => self.versions,
        }
    }
}

pub fn areas(screen: Rect, focus: Pane) -> Areas {
    let title = Rect {
        height: screen.height.min(1),
        ..screen
    };
    let status = Rect {
        y: screen.y + screen.height.saturating_sub(1),
        height: screen.height.saturating_sub(1).min(1),
        ..screen
    };
    let main = Rect {
        y: screen.y + title.height,
        height: screen.height.saturating_sub(title.height + status.height),
        ..screen
    };
    let mut areas = Areas {
        title,
        status,
        ..Areas::default()
    };
    if main.width < MIN_SPLIT_WIDTH || main.height < MIN_SPLIT_HEIGHT {
        match focus {
            Pane::Buckets => areas.buckets = Some(main),
            Pane::Objects => areas.objects = Some(main),
            Pane::Versions => areas.versions = Some(main),
        }
        return areas;
    }
    let top_height = main.height * 11 / 20;
    let buckets_width = (main.width * 9 / 20).clamp(20, 56);
    areas.buckets = Some(Rect {
        height: top_height,
        width: buckets_width,
        ..main
    });
    areas.objects = Some(Rect {
        x: main.x + buckets_width,
        width: main.width - buckets_width,
        height: top_height,
        ..main
    });
    areas.versions = Some(Rect {
        y: main.y + top_height,
        height: main.height - top_height,
        ..main
    });
    areas
}

/// Rows of data a pane of this area shows: the border and the column header take three.
pub fn body_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_screens_show_all_three_panes_without_overlap() {
        let a = areas(Rect::new(0, 0, 120, 35), Pane::Objects);
        let (b, o, v) = (
            a.buckets.expect("buckets"),
            a.objects.expect("objects"),
            a.versions.expect("versions"),
        );
        assert_eq!(b.right(), o.x);
        assert_eq!(b.bottom(), v.y);
        assert_eq!(v.bottom(), a.status.y);
        assert_eq!(o.right(), 120);
    }

    #[test]
    fn small_screens_show_only_the_focused_pane() {
        let a = areas(Rect::new(0, 0, 60, 20), Pane::Versions);
        assert!(a.buckets.is_none() && a.objects.is_none());
        assert_eq!(a.versions.map(|r| r.height), Some(18));
    }

    #[test]
    fn tiny_screens_do_not_underflow() {
        for (w, h) in [(1, 1), (0, 0), (2, 2), (1, 3)] {
            let a = areas(Rect::new(0, 0, w, h), Pane::Buckets);
            assert!(a.buckets.is_some_and(|r| r.height <= h));
        }
    }
}
