//! The ledger's schema, one migration list per engine (the same tables; the triggers differ
//! only in syntax). Migrations run at start, once, even when several instances start together
//! (SQLite: inside `BEGIN IMMEDIATE`; PostgreSQL: under an advisory lock).
//!
//! The state machine lives in the database:
//!
//! * `orders.state`: `created` → `paid` → `refunding` ⇄ `paid` … → `refunded`. `refunding` holds
//!   exactly while refunds are pending (`pending_fen > 0`); `refunded` exactly when the
//!   succeeded refunds add up to the total; `refunded_fen + pending_fen <= total_fen` always, so
//!   partial refunds add up and never exceed the order, even when two are approved at once.
//!   An order's amount never changes, and it becomes `paid` only with a row in `payments`.
//! * `payments`: one per order at most (`UNIQUE (tp_order_id)`), keyed by the platform's id;
//!   never changed nor deleted.
//! * `refunds.state`: `pending` → `succeeded` | `failed` (→ `pending` again when a refused
//!   Alipay refund is sent again); only a pending refund may be deleted (an approval undone in
//!   the same transaction).
//! * `notify_log`: one row per first delivery of a notify, keyed `(channel, notify_key)`, with
//!   the answer given.

/// The tables (the same text for both engines).
const TABLES: &str = "
CREATE TABLE orders (
    tp_order_id TEXT PRIMARY KEY,
    total_fen BIGINT NOT NULL CHECK (total_fen > 0),
    state TEXT NOT NULL DEFAULT 'created'
        CHECK (state IN ('created', 'paid', 'refunding', 'refunded')),
    refunded_fen BIGINT NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0),
    pending_fen BIGINT NOT NULL DEFAULT 0 CHECK (pending_fen >= 0),
    CHECK (refunded_fen + pending_fen <= total_fen),
    CHECK ((state = 'refunding') = (pending_fen > 0)),
    CHECK ((state = 'refunded') = (refunded_fen = total_fen)),
    CHECK (state <> 'created' OR refunded_fen + pending_fen = 0)
);
CREATE TABLE payments (
    channel TEXT NOT NULL CHECK (channel IN ('baidu', 'alipay')),
    platform_id TEXT NOT NULL,
    tp_order_id TEXT NOT NULL UNIQUE REFERENCES orders (tp_order_id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    user_id BIGINT,
    PRIMARY KEY (channel, platform_id)
);
CREATE TABLE refunds (
    channel TEXT NOT NULL CHECK (channel IN ('baidu', 'alipay')),
    tp_order_id TEXT NOT NULL REFERENCES payments (tp_order_id),
    refund_key TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
    PRIMARY KEY (channel, tp_order_id, refund_key)
);
CREATE INDEX refunds_by_key ON refunds (channel, refund_key);
CREATE TABLE notify_log (
    channel TEXT NOT NULL,
    notify_key TEXT NOT NULL,
    tp_order_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (channel, notify_key)
);
";

/// When an update of `orders` is illegal (`OLD`/`NEW` as in a row trigger).
const ORDER_ILLEGAL: &str = "NEW.tp_order_id <> OLD.tp_order_id
    OR NEW.total_fen <> OLD.total_fen
    OR NEW.refunded_fen < OLD.refunded_fen
    OR (OLD.state || '>' || NEW.state) NOT IN ('created>paid', 'paid>paid', 'paid>refunding',
        'refunding>refunding', 'refunding>paid', 'refunding>refunded', 'refunded>refunded')
    OR (OLD.state = 'created' AND NEW.state = 'paid'
        AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.tp_order_id = NEW.tp_order_id))";

/// When an update of `refunds` is illegal.
const REFUND_ILLEGAL: &str = "NEW.channel <> OLD.channel
    OR NEW.tp_order_id <> OLD.tp_order_id
    OR NEW.refund_key <> OLD.refund_key
    OR NEW.amount_fen <> OLD.amount_fen
    OR (OLD.state || '>' || NEW.state) NOT IN ('pending>succeeded', 'pending>failed',
        'failed>pending')";

/// The SQLite migrations, in order (version = index + 1). The tables are `WITHOUT ROWID`
/// (keyed by their primary key alone: one B-tree less to write per row).
pub fn sqlite() -> Vec<String> {
    let tables = TABLES.replace("\n);", "\n) WITHOUT ROWID;");
    vec![format!(
        "{tables}
CREATE TRIGGER orders_state_machine BEFORE UPDATE ON orders
WHEN {ORDER_ILLEGAL}
BEGIN SELECT RAISE(ABORT, 'illegal order transition'); END;
CREATE TRIGGER orders_kept BEFORE DELETE ON orders
BEGIN SELECT RAISE(ABORT, 'orders are never deleted'); END;
CREATE TRIGGER payments_immutable BEFORE UPDATE ON payments
BEGIN SELECT RAISE(ABORT, 'payments never change'); END;
CREATE TRIGGER payments_kept BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'payments are never deleted'); END;
CREATE TRIGGER refunds_state_machine BEFORE UPDATE ON refunds
WHEN {REFUND_ILLEGAL}
BEGIN SELECT RAISE(ABORT, 'illegal refund transition'); END;
CREATE TRIGGER refunds_kept BEFORE DELETE ON refunds WHEN OLD.state <> 'pending'
BEGIN SELECT RAISE(ABORT, 'only a pending refund may be undone'); END;
"
    )]
}

/// The PostgreSQL migrations, in order (version = index + 1).
pub fn postgres() -> Vec<String> {
    vec![format!(
        "{TABLES}
CREATE FUNCTION orders_state_machine() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'orders are never deleted'; END IF;
    IF {ORDER_ILLEGAL} THEN
        RAISE EXCEPTION 'illegal order transition % > %', OLD.state, NEW.state;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orders_state_machine BEFORE UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_state_machine();
CREATE FUNCTION payments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'payments never change'; END $$;
CREATE TRIGGER payments_immutable BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_immutable();
CREATE FUNCTION refunds_state_machine() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'pending' THEN
            RAISE EXCEPTION 'only a pending refund may be undone';
        END IF;
        RETURN OLD;
    END IF;
    IF {REFUND_ILLEGAL} THEN
        RAISE EXCEPTION 'illegal refund transition % > %', OLD.state, NEW.state;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refunds_state_machine BEFORE UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_state_machine();
"
    )]
}
