//! The zip container of an XLSX workbook: STORE method (no compression), no ZIP64,
//! a fixed DOS date (1980-01-01 00:00) so that the same parts give the same bytes.
//! Layout (PKWARE APPNOTE 4.3): local header + data per entry, the central directory,
//! the end of central directory record.

/// A zip archive being written: STORE method, fixed DOS date 1980-01-01 00:00.
#[derive(Default)]
pub(super) struct Zip {
    bytes: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

const DOS_TIME: u16 = 0;
/// (1980 − 1980) << 9 | month 1 << 5 | day 1.
const DOS_DATE: u16 = (1 << 5) | 1;
/// "Version needed" 2.0, as most writers put it (STORE alone would do with 1.0).
const ZIP_VERSION: u16 = 20;

impl Zip {
    /// Appends one stored entry.
    pub(super) fn add(&mut self, name: &str, data: &[u8]) {
        let offset = u32::try_from(self.bytes.len()).expect("a zip without ZIP64 holds 4 GiB");
        let size = u32::try_from(data.len()).expect("a zip entry without ZIP64 holds 4 GiB");
        let name_len = u16::try_from(name.len()).expect("a zip entry name is under 64 KiB");
        let crc = crc32(data);
        // Fields common to the local header (after its signature and version) and
        // the central directory entry (after signature and both versions).
        let mut common = Vec::with_capacity(26);
        for half in [0, 0, DOS_TIME, DOS_DATE] {
            common.extend_from_slice(&u16::to_le_bytes(half)); // flags, method, time, date
        }
        for word in [crc, size, size] {
            common.extend_from_slice(&word.to_le_bytes());
        }
        common.extend_from_slice(&name_len.to_le_bytes());
        common.extend_from_slice(&[0, 0]); // extra field length

        self.bytes.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        self.bytes.extend_from_slice(&ZIP_VERSION.to_le_bytes());
        self.bytes.extend_from_slice(&common);
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.extend_from_slice(data);

        self.central
            .extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        self.central.extend_from_slice(&ZIP_VERSION.to_le_bytes()); // made by
        self.central.extend_from_slice(&ZIP_VERSION.to_le_bytes()); // needed
        self.central.extend_from_slice(&common);
        // comment length, disk number, internal attributes, external attributes
        self.central.extend_from_slice(&[0; 10]);
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries = self
            .entries
            .checked_add(1)
            .expect("a zip without ZIP64 holds 65535 entries");
    }

    /// The central directory and end record appended: the whole archive.
    pub(super) fn finish(mut self) -> Vec<u8> {
        let at = u32::try_from(self.bytes.len()).expect("a zip without ZIP64 holds 4 GiB");
        let size = u32::try_from(self.central.len()).expect("a zip without ZIP64 holds 4 GiB");
        self.bytes.append(&mut self.central);
        self.bytes.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
        self.bytes.extend_from_slice(&[0; 4]); // this disk, disk with the directory
        self.bytes.extend_from_slice(&self.entries.to_le_bytes());
        self.bytes.extend_from_slice(&self.entries.to_le_bytes());
        self.bytes.extend_from_slice(&size.to_le_bytes());
        self.bytes.extend_from_slice(&at.to_le_bytes());
        self.bytes.extend_from_slice(&[0, 0]); // comment length
        self.bytes
    }
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) lookup table, built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 as zip (and gzip, PNG) use it.
pub(super) fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &b| {
        CRC_TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8)
    })
}
