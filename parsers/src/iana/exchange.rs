//! Exchange types (IKEv1 0–6, 32, 33; IKEv2 34–45: one registry space, no overlap).

newtype! {
    /// Exchange type (IKEv1 0–6, 32, 33; IKEv2 34–45).
    ExchangeType(u8)
}

table! {
    ExchangeType =>
    /// The registry name.
    pub fn name {
        0 => "NONE" as NONE,
        1 => "Base" as BASE,
        2 => "Identity Protection (Main Mode)" as MAIN_MODE,
        3 => "Authentication Only" as AUTHENTICATION_ONLY,
        4 => "Aggressive" as AGGRESSIVE,
        5 => "Informational" as INFORMATIONAL_V1,
        6 => "Transaction (Mode Config)" as TRANSACTION,
        32 => "Quick Mode" as QUICK_MODE,
        33 => "New Group Mode" as NEW_GROUP_MODE,
        34 => "IKE_SA_INIT" as IKE_SA_INIT,
        35 => "IKE_AUTH" as IKE_AUTH,
        36 => "CREATE_CHILD_SA" as CREATE_CHILD_SA,
        37 => "INFORMATIONAL" as INFORMATIONAL,
        38 => "IKE_SESSION_RESUME" as IKE_SESSION_RESUME,
        39 => "GSA_AUTH" as GSA_AUTH,
        40 => "GSA_REGISTRATION" as GSA_REGISTRATION,
        41 => "GSA_REKEY" as GSA_REKEY,
        43 => "IKE_INTERMEDIATE" as IKE_INTERMEDIATE,
        44 => "IKE_FOLLOWUP_KE" as IKE_FOLLOWUP_KE,
        45 => "GSA_INBAND_REKEY" as GSA_INBAND_REKEY,
    }
}
