//! Why a camera needs attention: the item is part of the record's vocabulary (`health-read`
//! carries a list of them), so it is typed once in `camdock_record::attention`.

pub use camdock_record::attention::{Acknowledgement, Attention};
