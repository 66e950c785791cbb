//! The terminal lockwatch draws on: raw mode and the alternate screen, and the bytes sent to
//! it. crossterm writes every colour as a 256-colour SGR (`38;5;N`), which terminals that know
//! only 16 colours (TERM=linux, vt100) misread — the `5` as blink. Where only 16 colours are
//! known, the frame's colours are rewritten to the 16-colour codes (30–37, 90–97, 40–47,
//! 100–107) before they are sent.

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, Write};

/// The terminal lockwatch draws on.
pub type Screen = Terminal<CrosstermBackend<TerminalOut>>;

/// Standard output, holding each frame until it is flushed whole.
pub struct TerminalOut {
    out: Stdout,
    frame: Vec<u8>,
    sixteen_colours: bool,
}

impl Write for TerminalOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.frame.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let frame = std::mem::take(&mut self.frame);
        let bytes = if self.sixteen_colours {
            to_16_colour_sgr(&frame)
        } else {
            frame
        };
        self.out.write_all(&bytes)?;
        self.out.flush()
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard (crossterm's, base64 inside).
pub fn osc52(text: &str) -> String {
    let mut out = String::new();
    let copy = crossterm::clipboard::CopyToClipboard::to_clipboard_from(text);
    // Writing to a String cannot fail.
    let _ = crossterm::Command::write_ansi(&copy, &mut out);
    out
}

/// Raw mode, the alternate screen, and a panic hook that gives the terminal back first.
pub fn init(sixteen_colours: bool) -> std::io::Result<Screen> {
    use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        ratatui::restore();
        previous(info);
    }));
    enable_raw_mode()?;
    let mut out = std::io::stdout();
    crossterm::execute!(out, EnterAlternateScreen)?;
    Terminal::new(CrosstermBackend::new(TerminalOut {
        out,
        frame: Vec::new(),
        sixteen_colours,
    }))
}

/// Each SGR sequence's `38;5;N` / `48;5;N` with N < 16 rewritten as the 16-colour code
/// (crossterm also sends both at once: `ESC[38;5;0;48;5;6m`); every other byte as it is.
pub fn to_16_colour_sgr(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\x1b[") {
            let params_len = bytes[i + 2..]
                .iter()
                .take_while(|b| b.is_ascii_digit() || **b == b';')
                .count();
            let end = i + 2 + params_len;
            if bytes.get(end) == Some(&b'm')
                && let Ok(params) = std::str::from_utf8(&bytes[i + 2..end])
            {
                out.extend_from_slice(b"\x1b[");
                out.extend_from_slice(rewrite_sgr(params).as_bytes());
                out.push(b'm');
                i = end + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn rewrite_sgr(params: &str) -> String {
    let parts: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut i = 0;
    while i < parts.len() {
        let base = match parts[i] {
            "38" => Some(30u16),
            "48" => Some(40u16),
            _ => None,
        };
        if let Some(base) = base
            && parts.get(i + 1) == Some(&"5")
            && let Some(n) = parts.get(i + 2).and_then(|n| n.parse::<u16>().ok())
            && n < 16
        {
            out.push((if n < 8 { base + n } else { base + 60 + n - 8 }).to_string());
            i += 3;
            continue;
        }
        out.push(parts[i].to_string());
        i += 1;
    }
    out.join(";")
}

/// Mouse reporting of presses, releases and the wheel (1000) in SGR form (1006) — not every
/// motion (1002/1003, which crossterm's EnableMouseCapture asks for): over SSH, each motion
/// would be a packet for nothing.
pub(super) fn set_mouse_capture(on: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout();
    out.write_all(if on {
        b"\x1b[?1000h\x1b[?1006h"
    } else {
        b"\x1b[?1006l\x1b[?1000l"
    })?;
    out.flush()
}

/// Gives the terminal back to the shell and stops lockwatch; returns once it is continued
/// (`fg`), with the terminal taken back and the whole screen drawn again.
pub(super) fn suspend(terminal: &mut Screen, mouse: bool) -> std::io::Result<()> {
    let _ = terminal.show_cursor();
    let _ = set_mouse_capture(false);
    ratatui::restore();
    // SIGSTOP cannot be caught, so this stops lockwatch although it handles SIGTSTP; the
    // shell's `fg` sends SIGCONT.
    rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::STOP)?;
    take_terminal_back(terminal, mouse)
}

/// Raw mode and the alternate screen again, and a full redraw: after a stop, the shell or
/// another program may have changed both.
pub(super) fn take_terminal_back(terminal: &mut Screen, mouse: bool) -> std::io::Result<()> {
    if mouse {
        let _ = set_mouse_capture(true);
    }
    use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, enable_raw_mode};
    enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        Clear(ClearType::All)
    )?;
    // ratatui draws only what differs from its last frame: an empty frame makes the next one
    // draw every cell. (Terminal::clear would ask the terminal for the cursor position, which
    // a slow SSH link may not answer in time.)
    terminal.draw(|_| {})?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_text_base64_encoded() {
        assert_eq!(osc52("s3://b/k"), "\u{1b}]52;c;czM6Ly9iL2s=\u{1b}\\");
    }

    #[test]
    fn the_first_sixteen_colours_become_sixteen_colour_codes() {
        let frame = b"\x1b[38;5;1mred\x1b[48;5;12mx\x1b[38;5;9my\x1b[38;5;208mz\x1b[1m";
        assert_eq!(
            to_16_colour_sgr(frame),
            b"\x1b[31mred\x1b[104mx\x1b[91my\x1b[38;5;208mz\x1b[1m".to_vec()
        );
        assert_eq!(to_16_colour_sgr(b"\x1b[38;5;m"), b"\x1b[38;5;m".to_vec());
        assert_eq!(to_16_colour_sgr(b"\x1b[38;5;7"), b"\x1b[38;5;7".to_vec());
        assert_eq!(
            to_16_colour_sgr(b"\x1b[38;5;0;48;5;6m lockwatch \x1b[1;13H"),
            b"\x1b[30;46m lockwatch \x1b[1;13H".to_vec()
        );
    }
}
