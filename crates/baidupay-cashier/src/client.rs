//! The cashier client.

use std::fmt;
use std::sync::Arc;

use baidupay_crypto::{Algorithm, PrivateKey, PublicKey, Rules, Signer};
use baidupay_model::cashier::{
    ApplyRefundRequest, ApplyRefundResult, BillFile, BillKind, BillList, BillRequest,
    CancelOrderRequest, ClientCredentials, Date, FindOrderRequest, FindRefundRequest,
    LegacyOrderDetail, LegacyOrderDetailData, LegacyRefundRequest, OrderDetail, OrderInfo,
    OrderInfoDraft, Params, QueryOrderDetailRequest, RefundRecord, SyncOrderStatusRequest,
};
use baidupay_model::operation::{CapitalBill, Operation, OrderBill};
use baidupay_model::{AppKey, ClientId, DealId, Fen, OrderId, PayAppId, Secret, TpOrderId, UserId};
use baidupay_openapi::{
    ClientCredentialsProvider, Exchange, OPENAPI_BASE, OpenApi, OpenApiError, TokenProvider,
};
use baidupay_transport::Transport;
use serde::de::DeserializeOwned;

use crate::bill::{BillDownload, parse_bill};
use crate::error::{CashierError, Result};
/// The 1.0 APIs' new host (新正式环境).
pub const ETRADE_BASE: &str = "https://etrade-api.baidu.com";
/// The 1.0 APIs' old host (即将废弃), which takes a `method` parameter.
pub const NUOMI_REST: &str = "https://nop.nuomi.com/nop/server/rest";
/// The 1.0 `queryorderdetail` host.
pub const DIANSHANG_BASE: &str = "https://dianshang.baidu.com";

/// Which host serves the 1.0 refund and cancel-consumption APIs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LegacyHost {
    /// `etrade-api.baidu.com/cashier/...` (no `method`), or another base such as a sandbox.
    Etrade(String),
    /// `nop.nuomi.com/nop/server/rest` with `method=nuomi.cashier.*` (deprecated).
    Nuomi(String),
}

impl Default for LegacyHost {
    fn default() -> Self {
        LegacyHost::Etrade(ETRADE_BASE.to_owned())
    }
}

/// What the client needs to know about the merchant.
#[derive(Clone)]
pub struct CashierConfig {
    app_key: AppKey,
    deal_id: DealId,
    app_id: Option<PayAppId>,
    merchant_key: PrivateKey,
    platform_key: Option<PublicKey>,
    api_base: String,
    query_base: String,
    legacy: LegacyHost,
}

impl fmt::Debug for CashierConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CashierConfig")
            .field("app_key", &self.app_key)
            .field("deal_id", &self.deal_id)
            .field("app_id", &self.app_id)
            .field("merchant_key", &"[redacted]")
            .field("platform_key", &self.platform_key.is_some())
            .field("api_base", &self.api_base)
            .field("query_base", &self.query_base)
            .field("legacy", &self.legacy)
            .finish()
    }
}

impl CashierConfig {
    /// The payment service `app_key` (pmAppKey) and `deal_id`, and the merchant's private key
    /// (the pair of the public key uploaded to Baidu).
    pub fn new(app_key: AppKey, deal_id: DealId, merchant_key: PrivateKey) -> Self {
        Self {
            app_key,
            deal_id,
            app_id: None,
            merchant_key,
            platform_key: None,
            api_base: OPENAPI_BASE.to_owned(),
            query_base: DIANSHANG_BASE.to_owned(),
            legacy: LegacyHost::default(),
        }
    }

    /// The numeric payment APP ID (needed by the 1.0 `queryorderdetail`).
    #[must_use]
    pub fn app_id(mut self, app_id: PayAppId) -> Self {
        self.app_id = Some(app_id);
        self
    }

    /// The platform public key (平台公钥) that signs Baidu's callbacks, kept with the rest of
    /// the merchant's settings (build a `baidupay_notify::BaiduNotifier` from it).
    #[must_use]
    pub fn platform_key(mut self, key: PublicKey) -> Self {
        self.platform_key = Some(key);
        self
    }

    /// The platform public key, when configured.
    pub fn platform_public_key(&self) -> Option<&PublicKey> {
        self.platform_key.as_ref()
    }

    /// Another OpenAPI base (a sandbox, for instance).
    #[must_use]
    pub fn api_base(mut self, base: impl Into<String>) -> Self {
        self.api_base = base.into().trim_end_matches('/').to_owned();
        self
    }

    /// Another base for `queryorderdetail`.
    #[must_use]
    pub fn query_base(mut self, base: impl Into<String>) -> Self {
        self.query_base = base.into().trim_end_matches('/').to_owned();
        self
    }

    /// The host of the 1.0 refund and cancel-consumption APIs.
    #[must_use]
    pub fn legacy_host(mut self, host: LegacyHost) -> Self {
        self.legacy = host;
        self
    }
}

struct Inner {
    config: CashierConfig,
    signer: Signer,
    api: OpenApi,
}

/// The Baidu cashier client: cheap to clone, `Send + Sync`; one per process is enough.
#[derive(Clone)]
pub struct CashierClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for CashierClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CashierClient")
            .field("config", &self.inner.config)
            .field("api", &self.inner.api)
            .finish()
    }
}

impl CashierClient {
    /// A client over `transport`, with access tokens from `tokens`.
    pub fn new(
        config: CashierConfig,
        transport: Arc<dyn Transport>,
        tokens: Arc<dyn TokenProvider>,
    ) -> Self {
        let signer = Signer::new(config.merchant_key.clone(), Algorithm::RsaSha1);
        let api = OpenApi::new(config.api_base.clone(), transport, tokens);
        Self {
            inner: Arc::new(Inner {
                config,
                signer,
                api,
            }),
        }
    }

    /// A client whose tokens come from the mini program's AppKey (`client_id`) and AppSecret
    /// through a [`ClientCredentialsProvider`] on the same transport and API base.
    pub fn with_client_credentials(
        config: CashierConfig,
        transport: Arc<dyn Transport>,
        client_id: ClientId,
        client_secret: Secret,
    ) -> Self {
        let tokens = Arc::new(ClientCredentialsProvider::new(
            transport.clone(),
            &config.api_base,
            ClientCredentials::new(client_id, client_secret),
        ));
        Self::new(config, transport, tokens)
    }

    /// The configuration.
    pub fn config(&self) -> &CashierConfig {
        &self.inner.config
    }

    /// A draft `orderInfo` for this merchant (add `return_data`, `banned_channels`, … then
    /// [`CashierClient::sign_order_info`]).
    ///
    /// # Errors
    /// [`CashierError::Invalid`] for a zero amount or an empty title.
    pub fn order_info_draft(
        &self,
        tp_order_id: TpOrderId,
        total_amount: Fen,
        deal_title: impl Into<String>,
    ) -> Result<OrderInfoDraft> {
        OrderInfoDraft::new(
            self.inner.config.app_key.clone(),
            self.inner.config.deal_id,
            total_amount,
            tp_order_id,
            deal_title,
        )
        .map_err(CashierError::Invalid)
    }

    /// Signs a draft: `rsaSign` over appKey, dealId, totalAmount, tpOrderId (SHA1withRSA).
    ///
    /// # Errors
    /// [`CashierError::Signing`] or [`CashierError::Invalid`].
    pub fn sign_order_info(&self, draft: OrderInfoDraft) -> Result<OrderInfo> {
        let (_, sig) = self
            .inner
            .signer
            .sign_params(Rules::Baidu, draft.sign_params())
            .map_err(CashierError::Signing)?;
        draft.into_order_info(sig).map_err(CashierError::Invalid)
    }

    /// The signed `orderInfo` for `swan.requestPolymerPayment`, in one call.
    ///
    /// # Errors
    /// As [`CashierClient::order_info_draft`] and [`CashierClient::sign_order_info`].
    pub fn order_info(
        &self,
        tp_order_id: TpOrderId,
        total_amount: Fen,
        deal_title: impl Into<String>,
    ) -> Result<OrderInfo> {
        self.sign_order_info(self.order_info_draft(tp_order_id, total_amount, deal_title)?)
    }

    /// Validates and sends one OpenAPI operation.
    async fn run<O: Operation>(&self, request: &O) -> Result<O::Output> {
        request.validate().map_err(CashierError::Invalid)?;
        Ok(self.inner.api.execute(request).await?)
    }

    fn app_key(&self) -> AppKey {
        self.inner.config.app_key.clone()
    }

    /// 查询订单: the order with the merchant order id `tp_order_id`.
    ///
    /// # Errors
    /// [`CashierError`] from the token, the transport or Baidu.
    pub async fn find_order(&self, tp_order_id: TpOrderId) -> Result<OrderDetail> {
        self.run(&FindOrderRequest::new(tp_order_id, self.app_key()))
            .await
    }

    /// 关闭订单: closes an unpaid order; `true` when Baidu closed it.
    ///
    /// # Errors
    /// As [`CashierClient::find_order`].
    pub async fn cancel_order(&self, order_id: OrderId) -> Result<bool> {
        self.run(&CancelOrderRequest::new(order_id, self.app_key()))
            .await
    }

    /// 申请退款. The request's `bizRefundBatchId` is the idempotency key: after an error with
    /// [`CashierError::may_have_been_sent`], retry with the same request, never a new batch id.
    ///
    /// # Errors
    /// As [`CashierClient::find_order`].
    pub async fn apply_refund(&self, req: &ApplyRefundRequest) -> Result<ApplyRefundResult> {
        self.run(req).await
    }

    /// 查询退款: the refunds of an order.
    ///
    /// # Errors
    /// As [`CashierClient::find_order`].
    pub async fn find_refunds(
        &self,
        tp_order_id: TpOrderId,
        user_id: UserId,
    ) -> Result<Vec<RefundRecord>> {
        let req = FindRefundRequest::new(tp_order_id, user_id, self.app_key());
        Ok(self.run(&req).await?.unwrap_or_default())
    }

    /// 下载订单对账单 / 下载资金账单 (`orderBill` / `capitaBill`) for one day.
    ///
    /// # Errors
    /// As [`CashierClient::find_order`].
    pub async fn bill(&self, kind: BillKind, day: Date) -> Result<BillList> {
        let req = BillRequest::new(day, self.app_key());
        if kind == BillKind::Capital {
            self.run(&CapitalBill(&req)).await
        } else {
            self.run(&OrderBill(&req)).await
        }
    }

    /// Downloads a bill file from the URL a bill listing returned, and parses its rows when the
    /// file is in the documented layout (`#` header lines, then reports with a header row and
    /// comma- or tab-separated rows), UTF-8 or GBK (detected), plain or zipped. The raw bytes are
    /// always returned; [`BillDownload::parse`] says why a file did not parse.
    ///
    /// # Errors
    /// [`CashierError::Invalid`] when the entry has no URL; transport errors; a non-2xx answer
    /// is [`baidupay_openapi::OpenApiError::UnexpectedAnswer`].
    pub async fn download_bill(&self, file: &BillFile) -> Result<BillDownload> {
        let url = file
            .url
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                CashierError::Invalid(baidupay_model::Error::InvalidField {
                    field: "url",
                    reason: "the bill is not ready (no download URL yet; see exportStatus)".into(),
                })
            })?;
        let bytes = Exchange::get("bill download", url)
            .idempotent(true)
            .send_raw(&**self.inner.api.transport())
            .await?;
        let parsed = parse_bill(&bytes);
        Ok(BillDownload { bytes, parsed })
    }

    /// Signs `params` (SHA1withRSA over the Baidu sign string) into `sig_field` and sends them
    /// in the query (GET) or a form body (POST).
    async fn signed_call<T: DeserializeOwned>(
        &self,
        op: &'static str,
        post: bool,
        url: String,
        mut params: Vec<(&'static str, String)>,
        sig_field: &'static str,
        idempotent: bool,
    ) -> Result<T> {
        let (_, sig) = self
            .inner
            .signer
            .sign_params(Rules::Baidu, params.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(CashierError::Signing)?;
        params.push((sig_field, sig));
        let exchange = if post {
            Exchange::post(op, url).form(params)
        } else {
            Exchange::get(op, url).query(params)
        };
        Ok(exchange
            .idempotent(idempotent)
            .send(&**self.inner.api.transport())
            .await?)
    }

    /// 1.0 支付状态查询 (`queryorderdetail`, signed with the merchant key).
    ///
    /// # Errors
    /// [`CashierError::Invalid`] when the payment `app_id` is not configured; otherwise as
    /// [`CashierClient::find_order`].
    pub async fn query_order_detail(
        &self,
        order_id: OrderId,
        user_id: UserId,
    ) -> Result<LegacyOrderDetail> {
        let app_id = self.inner.config.app_id.ok_or_else(|| {
            CashierError::Invalid(baidupay_model::Error::InvalidField {
                field: "appId",
                reason: "queryorderdetail needs the payment APP ID: CashierConfig::app_id".into(),
            })
        })?;
        let req = QueryOrderDetailRequest::new(
            app_id,
            self.inner.config.app_key.clone(),
            order_id,
            user_id,
        );
        let url = format!(
            "{}/platform/entity/openapi/queryorderdetail",
            self.inner.config.query_base
        );
        let data: LegacyOrderDetailData = self
            .signed_call(
                "queryorderdetail",
                false,
                url,
                encode("queryorderdetail", &req)?,
                "sign",
                true,
            )
            .await?;
        Ok(data.data)
    }

    fn legacy_url(
        &self,
        etrade_path: &str,
        method: &str,
        params: &mut Vec<(&'static str, String)>,
    ) -> String {
        match &self.inner.config.legacy {
            LegacyHost::Etrade(base) => {
                format!("{}/cashier/{etrade_path}", base.trim_end_matches('/'))
            }
            LegacyHost::Nuomi(url) => {
                params.insert(0, ("method", method.to_owned()));
                url.clone()
            }
        }
    }

    /// 1.0 申请退款 (signed). Partial refunds carry a `bizRefundBatchId`, which makes a retry
    /// safe; a full refund without one is not retried automatically.
    ///
    /// # Errors
    /// As [`CashierClient::find_order`].
    pub async fn legacy_refund(&self, req: &LegacyRefundRequest) -> Result<ApplyRefundResult> {
        let mut params = encode("applyOrderRefund (1.0)", req)?;
        let url = self.legacy_url("applyOrderRefund", LegacyRefundRequest::METHOD, &mut params);
        let idempotent = req.biz_refund_batch_id.is_some();
        self.signed_call(
            "applyOrderRefund (1.0)",
            true,
            url,
            params,
            "rsaSign",
            idempotent,
        )
        .await
    }

    /// 1.0 取消核销 (`syncOrderStatus`, type 3): needed before refunding a consumed order.
    ///
    /// # Errors
    /// As [`CashierClient::find_order`].
    pub async fn sync_order_status(&self, order_id: OrderId, user_id: UserId) -> Result<()> {
        let req = SyncOrderStatusRequest::new(order_id, user_id, self.inner.config.app_key.clone());
        let mut params = encode("syncOrderStatus", &req)?;
        let url = self.legacy_url(
            "syncOrderStatus",
            SyncOrderStatusRequest::METHOD,
            &mut params,
        );
        let _: Option<serde_json::Value> = self
            .signed_call("syncOrderStatus", true, url, params, "rsaSign", true)
            .await?;
        Ok(())
    }
}

/// The parameters of a signed 1.0 request; a type that cannot be encoded is a failed call
/// that was never sent.
fn encode<P: Params>(operation: &'static str, req: &P) -> Result<Vec<(&'static str, String)>> {
    req.to_params()
        .map_err(|source| CashierError::Call(OpenApiError::Encode { operation, source }))
}
