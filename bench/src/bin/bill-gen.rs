//! `bill-gen`: writes an Alipay trade bill ZIP of N detail rows, laid out as the platform serves
//! it (alipay-jsapi.md §5.5), deterministic from a seed, for `cargo xtask bench bill`.
//!
//! `bill-gen --rows N [--seed S] --out PATH` writes the ZIP and prints what it holds:
//! `{"rows":N,"payments":P,"refunds":R,"order_fen":O,"received_fen":F,"bytes":B,"csv_bytes":C}`.
//!
//! Independent of the SDK: the ZIP is written by hand here (GBK entry names with the UTF-8 flag
//! off, deflate through flate2, as Alipay serves them), and the CSV is GBK text: `#` comment
//! lines, the header, rows whose ids are padded with a leading tab or backquote and a trailing
//! tab, Chinese subjects (some with commas or quotes, so quoted), payments and refunds with
//! negative amounts, the end line, `#交易合计：N笔，退款合计：M笔`, and a `业务明细(汇总)` entry
//! with a row per store and a `合计` row.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use anyhow::{Context, bail};
use flate2::Compression;
use flate2::write::DeflateEncoder;

/// The detail header, in the order merchants report it.
const HEADER: [&str; 25] = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
];

const PID: &str = "2088000012345678";
const DATE: &str = "20240513";

const STORES: [(&str, &str); 5] = [
    ("NJ0001", "南京新街口店"),
    ("NJ0002", "南京河西万达店"),
    ("SH0001", "上海徐家汇店"),
    ("HZ0001", "杭州西湖银泰店"),
    ("", ""),
];

const SUBJECTS: [&str; 10] = [
    "测试商品",
    "鲜榨橙汁（大杯）",
    "会员月卡",
    "商品,带逗号",
    "\"特价\"双人套餐",
    "小程序订单-外卖配送费",
    "拿铁咖啡 中杯 少冰",
    "电影票2张",
    "充电宝租借 2小时",
    "生日蛋糕（8寸）",
];

const ACCOUNTS: [&str; 4] = [
    "abc***@163.com",
    "138****5678",
    "zha***@qq.com",
    "186****0021",
];

/// splitmix64: small, fast and the same on every platform.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        &items[i]
    }
}

/// Fen as yuan with two decimals (`-12.30`).
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// `2024-05-13 HH:MM:SS` for a second of the day (capped at the last second).
fn time_of_day(second: u64) -> String {
    let s = second.min(86_399);
    format!(
        "2024-05-13 {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Appends a CSV cell, quoted when it holds a comma, a quote or a line break.
fn push_cell(line: &mut String, cell: &str) {
    if !line.is_empty() {
        line.push(',');
    }
    if cell.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&cell.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(cell);
    }
}

/// A payment a later refund may refer to.
#[derive(Debug, Clone)]
struct Paid {
    trade_no: String,
    out_trade_no: String,
    received: i64,
    created: String,
    store: usize,
    subject: usize,
    refunds: u32,
}

/// What the rows add up to, per store (the summary file) and in all.
#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    payments: u64,
    refunds: u64,
    order: i64,
    received: i64,
    fee: i64,
}

impl Sums {
    fn add(&mut self, refund: bool, order: i64, received: i64, fee: i64) {
        if refund {
            self.refunds += 1;
        } else {
            self.payments += 1;
        }
        self.order += order;
        self.received += received;
        self.fee += fee;
    }
}

/// Writes GBK text through a line buffer into the entry.
struct Gbk<'a, W: Write + ?Sized> {
    out: &'a mut W,
    chunk: Vec<u8>,
}

impl<W: Write + ?Sized> Gbk<'_, W> {
    fn line(&mut self, text: &str) -> anyhow::Result<()> {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        if unmappable {
            bail!("not GBK: {text}");
        }
        self.chunk.extend_from_slice(&bytes);
        self.chunk.extend_from_slice(b"\r\n");
        if self.chunk.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        self.out.write_all(&self.chunk)?;
        self.chunk.clear();
        Ok(())
    }
}

/// Writes the detail CSV; returns the totals per store.
fn detail(
    out: &mut (impl Write + ?Sized),
    rows: u64,
    seed: u64,
) -> anyhow::Result<[Sums; STORES.len()]> {
    let mut rng = Rng(seed);
    let mut w = Gbk {
        out,
        chunk: Vec::with_capacity(80 * 1024),
    };
    w.line("#支付宝业务明细查询")?;
    w.line(&format!("#账号：[{PID}0156]"))?;
    w.line("#起始日期：[2024年05月13日 00:00:00]   终止日期：[2024年05月14日 00:00:00]")?;
    w.line("#-----------------------------------------业务明细列表----------------------------------------")?;
    let mut line = String::new();
    for h in HEADER {
        push_cell(&mut line, h);
    }
    w.line(&line)?;
    let mut stores = [Sums::default(); STORES.len()];
    let mut recent: Vec<Paid> = Vec::with_capacity(256);
    for i in 0..rows {
        let second = i.saturating_mul(86_400) / rows.max(1);
        // about one row in twelve is a refund of a recent payment
        let refund_of = if !recent.is_empty() && rng.below(12) == 0 {
            let k = usize::try_from(rng.below(recent.len() as u64)).unwrap_or(0);
            Some(k)
        } else {
            None
        };
        let mut cells: [String; 25] = Default::default();
        let (store, order, received, fee, discount);
        if let Some(k) = refund_of {
            let p = &mut recent[k];
            p.refunds += 1;
            let part = if rng.below(2) == 0 {
                p.received
            } else {
                1 + i64::try_from(rng.below(u64::try_from(p.received).unwrap_or(1))).unwrap_or(0)
            };
            store = p.store;
            order = -part;
            received = -part;
            discount = 0;
            fee = part * 6 / 1000;
            cells[0] = format!("{}\t", p.trade_no);
            cells[1] = format!("{}\t", p.out_trade_no);
            cells[2] = "退款".to_owned();
            cells[3] = SUBJECTS[p.subject].to_owned();
            cells[4] = p.created.clone();
            cells[21] = format!("`{}R{}\t", p.out_trade_no, p.refunds);
            if p.refunds >= 3 {
                recent.swap_remove(k);
            }
        } else {
            store = usize::try_from(rng.below(STORES.len() as u64)).unwrap_or(0);
            let amount = 1 + i64::try_from(rng.below(999_999)).unwrap_or(0);
            discount = if rng.below(10) == 0 {
                i64::try_from(rng.below(u64::try_from(amount / 10).unwrap_or(0) + 1)).unwrap_or(0)
            } else {
                0
            };
            order = amount;
            received = amount - discount;
            fee = -(received * 6 / 1000);
            let subject = usize::try_from(rng.below(SUBJECTS.len() as u64)).unwrap_or(0);
            let trade_no = format!("2024051322001{:015}", 400_000_000_000_000 + i);
            let out_trade_no = format!("{DATE}{:08}", i);
            // ids padded as the platform pads them: a leading tab or backquote, a trailing tab
            cells[0] = if rng.below(2) == 0 {
                format!("\t{trade_no}\t")
            } else {
                format!("`{trade_no}\t")
            };
            cells[1] = format!("{out_trade_no}\t");
            cells[2] = "交易".to_owned();
            cells[3] = SUBJECTS[subject].to_owned();
            let created = time_of_day(second.saturating_sub(rng.below(30)));
            cells[4] = created.clone();
            if recent.len() >= 256 {
                let k = usize::try_from(rng.below(256)).unwrap_or(0);
                recent.swap_remove(k);
            }
            recent.push(Paid {
                trade_no,
                out_trade_no,
                received,
                created,
                store,
                subject,
                refunds: 0,
            });
        }
        cells[5] = time_of_day(second);
        let (store_id, store_name) = STORES[store];
        cells[6] = if store_id.is_empty() {
            String::new()
        } else {
            format!("`{store_id}")
        };
        cells[7] = store_name.to_owned();
        cells[8] = if store_id.is_empty() {
            String::new()
        } else {
            format!("收银员{:02}", rng.below(20))
        };
        cells[9] = if store_id.is_empty() {
            String::new()
        } else {
            format!("\tT{:04}", rng.below(100))
        };
        cells[10] = (*rng.pick(&ACCOUNTS)).to_owned();
        cells[11] = yuan(order);
        cells[12] = yuan(received);
        for c in [13, 14, 15, 17, 19, 20, 23] {
            cells[c] = "0.00".to_owned();
        }
        cells[16] = yuan(discount);
        if discount > 0 {
            cells[18] = "店铺满减券".to_owned();
        }
        cells[22] = yuan(fee);
        if rng.below(20) == 0 {
            cells[24] = "会员日".to_owned();
        }
        line.clear();
        for c in &cells {
            push_cell(&mut line, c);
        }
        w.line(&line)?;
        stores[store].add(refund_of.is_some(), order, received, fee);
    }
    let all = total(&stores);
    w.line("#-----------------------------------------业务明细列表结束------------------------------------")?;
    w.line(&format!(
        "#交易合计：{}笔，退款合计：{}笔",
        all.payments, all.refunds
    ))?;
    w.line("#导出时间：[2024年05月14日 09:12:33]")?;
    w.flush()?;
    Ok(stores)
}

fn total(stores: &[Sums]) -> Sums {
    stores.iter().fold(Sums::default(), |mut a, s| {
        a.payments += s.payments;
        a.refunds += s.refunds;
        a.order += s.order;
        a.received += s.received;
        a.fee += s.fee;
        a
    })
}

/// Writes the summary CSV: a row per store, then the `合计` row.
fn summary(out: &mut (impl Write + ?Sized), stores: &[Sums]) -> anyhow::Result<()> {
    let mut w = Gbk {
        out,
        chunk: Vec::new(),
    };
    w.line("#支付宝业务汇总查询")?;
    w.line(&format!("#账号：[{PID}0156]"))?;
    w.line("#起始日期：[2024年05月13日 00:00:00]   终止日期：[2024年05月14日 00:00:00]")?;
    w.line(
        "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,服务费（元）,实收净额（元）",
    )?;
    let row = |id: &str, name: &str, s: &Sums| {
        format!(
            "{id},{name},{},{},{},{},{},{}",
            s.payments,
            s.refunds,
            yuan(s.order),
            yuan(s.received),
            yuan(s.fee),
            yuan(s.received + s.fee)
        )
    };
    for ((id, name), s) in STORES.iter().zip(stores) {
        w.line(&row(id, name, s))?;
    }
    w.line(&row("合计", "", &total(stores)))?;
    w.line("#导出时间：[2024年05月14日 09:12:33]")?;
    w.flush()
}

/// Passes bytes on while counting them and computing their CRC-32.
struct Crc<W> {
    inner: W,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A written entry, for the central directory.
#[derive(Debug)]
struct Entry {
    name: Vec<u8>,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
}

/// 2024-05-14 09:12:33 in MS-DOS form (time, date).
const DOS_TIME: u16 = (9 << 11) | (12 << 5) | (33 / 2);
const DOS_DATE: u16 = ((2024 - 1980) << 9) | (5 << 5) | 14;

fn u32_of(v: u64, what: &str) -> anyhow::Result<u32> {
    u32::try_from(v).with_context(|| format!("{what} does not fit a ZIP without ZIP64"))
}

/// Writes one deflated entry whose name is stored as GBK bytes (UTF-8 flag off), then patches
/// its local header with the CRC and sizes.
fn entry(
    file: &mut File,
    name: &str,
    body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<Entry> {
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(name);
    if unmappable {
        bail!("entry name not GBK: {name}");
    }
    let name = gbk.into_owned();
    let offset = file.stream_position()?;
    let mut h = Vec::with_capacity(30 + name.len());
    h.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
    h.extend_from_slice(&20_u16.to_le_bytes()); // version needed: deflate
    h.extend_from_slice(&0_u16.to_le_bytes()); // flags: no UTF-8 flag, no data descriptor
    h.extend_from_slice(&8_u16.to_le_bytes()); // deflate
    h.extend_from_slice(&DOS_TIME.to_le_bytes());
    h.extend_from_slice(&DOS_DATE.to_le_bytes());
    h.extend_from_slice(&[0; 12]); // CRC and sizes, patched below
    h.extend_from_slice(&u16::try_from(name.len())?.to_le_bytes());
    h.extend_from_slice(&0_u16.to_le_bytes());
    h.extend_from_slice(&name);
    file.write_all(&h)?;
    let start = file.stream_position()?;
    let (crc, len) = {
        let mut w = Crc {
            inner: DeflateEncoder::new(BufWriter::new(&mut *file), Compression::default()),
            crc: crc32fast::Hasher::new(),
            len: 0,
        };
        body(&mut w)?;
        w.inner.try_finish()?;
        w.inner.get_mut().flush()?;
        (w.crc.clone().finalize(), w.len)
    };
    let end = file.stream_position()?;
    let e = Entry {
        name,
        crc,
        compressed: u32_of(end - start, "the compressed entry")?,
        size: u32_of(len, "the entry")?,
        offset: u32_of(offset, "the archive")?,
    };
    file.seek(SeekFrom::Start(offset + 14))?;
    file.write_all(&e.crc.to_le_bytes())?;
    file.write_all(&e.compressed.to_le_bytes())?;
    file.write_all(&e.size.to_le_bytes())?;
    file.seek(SeekFrom::Start(end))?;
    Ok(e)
}

/// Writes the central directory and its end record.
fn central_directory(file: &mut File, entries: &[Entry]) -> anyhow::Result<()> {
    let start = file.stream_position()?;
    let mut cd = Vec::new();
    for e in entries {
        cd.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        cd.extend_from_slice(&20_u16.to_le_bytes()); // made by: MS-DOS, 2.0
        cd.extend_from_slice(&20_u16.to_le_bytes());
        cd.extend_from_slice(&0_u16.to_le_bytes());
        cd.extend_from_slice(&8_u16.to_le_bytes());
        cd.extend_from_slice(&DOS_TIME.to_le_bytes());
        cd.extend_from_slice(&DOS_DATE.to_le_bytes());
        cd.extend_from_slice(&e.crc.to_le_bytes());
        cd.extend_from_slice(&e.compressed.to_le_bytes());
        cd.extend_from_slice(&e.size.to_le_bytes());
        cd.extend_from_slice(&u16::try_from(e.name.len())?.to_le_bytes());
        cd.extend_from_slice(&[0; 12]); // extra, comment, disk, internal and external attributes
        cd.extend_from_slice(&e.offset.to_le_bytes());
        cd.extend_from_slice(&e.name);
    }
    let n = u16::try_from(entries.len())?;
    let mut end = Vec::new();
    end.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
    end.extend_from_slice(&[0; 4]); // disk numbers
    end.extend_from_slice(&n.to_le_bytes());
    end.extend_from_slice(&n.to_le_bytes());
    end.extend_from_slice(&u32_of(cd.len() as u64, "the central directory")?.to_le_bytes());
    end.extend_from_slice(&u32_of(start, "the archive")?.to_le_bytes());
    end.extend_from_slice(&0_u16.to_le_bytes());
    file.write_all(&cd)?;
    file.write_all(&end)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let (mut rows, mut seed, mut out) = (None, 20_240_513_u64, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().with_context(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--rows" => rows = Some(v.parse::<u64>().context("--rows")?),
            "--seed" => seed = v.parse().context("--seed")?,
            "--out" => out = Some(v),
            other => bail!("unknown argument {other}"),
        }
    }
    let rows = rows.context("--rows is required")?;
    let out = out.context("--out is required")?;
    // write to a temporary name and rename, so an interrupted run leaves no half file behind
    let tmp = format!("{out}.tmp");
    let mut file = File::create(&tmp).with_context(|| tmp.clone())?;
    let mut stores = [Sums::default(); STORES.len()];
    let d = entry(&mut file, &format!("{PID}_{DATE}_业务明细.csv"), |w| {
        stores = detail(w, rows, seed)?;
        Ok(())
    })?;
    let s = entry(
        &mut file,
        &format!("{PID}_{DATE}_业务明细(汇总).csv"),
        |w| summary(w, &stores),
    )?;
    let csv_bytes = d.size;
    central_directory(&mut file, &[d, s])?;
    file.sync_all()?;
    let bytes = file.stream_position()?;
    drop(file);
    std::fs::rename(&tmp, &out).with_context(|| out.clone())?;
    let all = total(&stores);
    println!(
        "{{\"rows\":{rows},\"payments\":{},\"refunds\":{},\"order_fen\":{},\"received_fen\":{},\"bytes\":{bytes},\"csv_bytes\":{csv_bytes}}}",
        all.payments, all.refunds, all.order, all.received
    );
    Ok(())
}
