// Message templates for the decision dialog: a starting point the operator
// edits before sending (the message goes verbatim into the applicant's mail).
// 資料提出のお願い carries the link to the documents page (web/documents/):
// files are submitted there, never as replies with attachments.

export const TEMPLATES = {
  request_documents: [
    {
      label: '登記事項証明書',
      text:
        'お申し込みの審査のため、次の資料のご提出をお願いいたします。\n\n' +
        '・履歴事項全部証明書(発行から3か月以内のもの)の写し\n\n' +
        'このメールに記載のリンクから、ファイル(PDF・JPEG・PNG)でご提出ください。ご不明な点がございましたら、お気軽にお問い合わせください。',
    },
    {
      label: '本人確認書類',
      text:
        'お申し込みの審査のため、次の資料のご提出をお願いいたします。\n\n' +
        '・ご担当者さまの本人確認書類(運転免許証など)の写し\n' +
        '・開業届の控えなど、事業を営んでいることが分かる書類の写し\n\n' +
        'このメールに記載のリンクから、ファイル(PDF・JPEG・PNG)でご提出ください。',
    },
    {
      label: '事業内容の確認',
      text:
        'お申し込みの審査のため、貴社の事業内容と、当社サービスをご紹介いただく予定のお客さまについて、' +
        '簡単にご説明いただけますでしょうか。\n\nご説明を記した書面(形式は自由です)を、このメールに記載のリンクからPDFでご提出ください。',
    },
  ],
  reject: [
    {
      label: '総合的な判断',
      text:
        '慎重に審査いたしましたが、誠に残念ながら、今回はパートナー登録を見送らせていただくことになりました。' +
        '審査の詳しい理由についてはお答えしかねますので、あらかじめご了承ください。',
    },
    {
      label: '資料の未提出',
      text:
        'お願いしておりました資料のご提出が確認できなかったため、今回のお申し込みはお受けできませんでした。' +
        'あらためてお申し込みいただくことは可能です。',
    },
  ],
};
