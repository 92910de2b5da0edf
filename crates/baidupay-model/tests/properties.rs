//! Property tests: money parse/print round-trips, identifiers round-trip, parsers never panic.

use baidupay_model::callback::{PaymentNotification, RefundNotification};
use baidupay_model::{Fen, OrderId, OutTradeNo, TpOrderId, Yuan, YuanAmount};
use proptest::prelude::*;

proptest! {
    #[test]
    fn fen_round_trips(n in any::<u64>()) {
        let f = Fen::new(n);
        prop_assert_eq!(f.to_string().parse::<Fen>().unwrap(), f);
        prop_assert_eq!(serde_json::from_str::<Fen>(&serde_json::to_string(&f).unwrap()).unwrap(), f);
        prop_assert_eq!(serde_json::from_str::<Fen>(&format!("\"{n}\"")).unwrap(), f);
    }

    #[test]
    fn yuan_round_trips(fen in 1u64..=10_000_000_000) {
        let y = Yuan::from_fen(Fen::new(fen)).unwrap();
        let s = y.to_string();
        let (int, frac) = s.split_once('.').unwrap();
        prop_assert_eq!(frac.len(), 2);
        prop_assert_eq!(int.parse::<u64>().unwrap() * 100 + frac.parse::<u64>().unwrap(), fen);
        prop_assert_eq!(s.parse::<Yuan>().unwrap(), y);
        prop_assert_eq!(serde_json::to_string(&y).unwrap(), format!("\"{s}\""));
    }

    #[test]
    fn yuan_parse_is_exact_or_refuses(s in "\\PC{0,16}|[0-9]{0,10}\\.[0-9]{0,3}|-?[0-9.e+]{0,12}") {
        // never panics; anything accepted prints back byte for byte
        if let Ok(y) = s.parse::<Yuan>() {
            prop_assert_eq!(y.to_string(), s.clone());
        }
        if let Ok(y) = s.parse::<YuanAmount>() {
            prop_assert_eq!(y.to_string(), s.clone());
        }
        if let Ok(f) = s.parse::<Fen>() {
            prop_assert_eq!(f.to_string(), s);
        }
    }

    #[test]
    fn ids_round_trip(s in "[A-Za-z0-9_-]{1,64}", n in any::<u64>()) {
        let id = OutTradeNo::new(s.clone()).unwrap();
        prop_assert_eq!(id.to_string(), s.clone());
        let json = serde_json::to_string(&id).unwrap();
        prop_assert_eq!(serde_json::from_str::<OutTradeNo>(&json).unwrap(), id);
        let tp = TpOrderId::new(s.clone()).unwrap();
        prop_assert_eq!(serde_json::from_str::<TpOrderId>(&serde_json::to_string(&tp).unwrap()).unwrap(), tp);
        let o = OrderId::new(n);
        prop_assert_eq!(o.to_string().parse::<OrderId>().unwrap(), o);
        prop_assert_eq!(serde_json::from_str::<OrderId>(&format!("\"{n}\"")).unwrap(), o);
    }

    #[test]
    fn id_validation_never_panics(s in "\\PC{0,80}") {
        if let Ok(id) = TpOrderId::new(s.clone()) {
            prop_assert!(!id.as_str().contains(['&', '=', ' ']));
            prop_assert!(id.as_str().len() <= 64);
        }
        let _ = OutTradeNo::new(s.clone());
        let _ = s.parse::<OrderId>();
    }

    #[test]
    fn callbacks_never_panic(pairs in proptest::collection::vec(("[a-zA-Z]{1,12}", "\\PC{0,12}"), 0..20)) {
        let pairs: Vec<(String, String)> = pairs;
        let _ = PaymentNotification::from_pairs(pairs.clone());
        let _ = RefundNotification::from_pairs(pairs);
    }

    #[test]
    fn json_decoders_never_panic(s in "\\PC{0,64}") {
        let _ = serde_json::from_str::<Fen>(&s);
        let _ = serde_json::from_str::<Yuan>(&s);
        let _ = baidupay_model::envelope::decode_baidu::<serde_json::Value>(s.as_bytes(), "x");
    }
}
